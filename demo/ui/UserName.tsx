import { type FormEvent, useState } from 'react';
import { isValidName } from '../session.ts';

/** The user name (token `demo:<name>`); changing it reopens the page as that user. */
export function UserName({ name, onChange }: { name: string; onChange: (name: string) => void }) {
  const [value, setValue] = useState(name);
  const valid = isValidName(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid && value !== name) onChange(value);
  };
  return (
    <form className="user" onSubmit={submit}>
      <label>
        you are{' '}
        <input
          data-testid="user-name"
          aria-invalid={!valid}
          value={value}
          maxLength={64}
          onChange={(event) => setValue(event.target.value)}
        />
      </label>
      <button type="submit" data-testid="user-save" disabled={!valid || value === name}>
        Switch
      </button>
    </form>
  );
}
