import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

/** A tiny render helper for the component tests (happy-dom, React's `act`). */
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Rendered {
  readonly container: HTMLElement;
  byTestId<E extends HTMLElement = HTMLElement>(id: string): E;
  all(id: string): HTMLElement[];
  unmount(): Promise<void>;
}

export async function render(node: ReactNode): Promise<Rendered> {
  const container = document.createElement('div');
  document.body.append(container);
  let root: Root | null = null;
  await act(async () => {
    root = createRoot(container);
    root.render(node);
  });
  return {
    container,
    byTestId<E extends HTMLElement>(id: string): E {
      const found = container.querySelector(`[data-testid="${id}"]`);
      if (!found) throw new Error(`no element with data-testid="${id}" in ${container.innerHTML}`);
      return found as E;
    },
    all: (id) => [...container.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)],
    async unmount() {
      await act(async () => root?.unmount());
      container.remove();
    },
  };
}

/** Types into an input the way React notices (through the native value setter). */
export async function typeInto(input: HTMLInputElement, value: string): Promise<void> {
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

export async function choose(select: HTMLSelectElement, value: string): Promise<void> {
  await act(async () => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

export async function fire(target: Element, type: string, init: EventInit = { bubbles: true, cancelable: true }) {
  await act(async () => {
    target.dispatchEvent(type === 'click' ? new MouseEvent(type, init) : new Event(type, init));
  });
}

export async function settle(): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

/** Runs `change` (e.g. a fake client's update) inside `act`, so React renders its effect. */
export async function update(change: () => void): Promise<void> {
  await act(async () => change());
}
