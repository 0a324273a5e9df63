import type { Page } from 'playwright-core';
import type { BenchPage } from './page/main.ts';

/** Runs one step of the bench page (`window.bench[step](...args)`) in `page`; resolves to its result. */
export type Runner = <K extends keyof BenchPage>(
  page: Page,
  step: K,
  ...args: Parameters<BenchPage[K]>
) => Promise<Awaited<ReturnType<BenchPage[K]>>>;
