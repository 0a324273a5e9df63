import { createRoot } from 'react-dom/client';
import { createClient, type WeftClient } from 'weft/client';
import { useQuery, useStatus } from 'weft/client/react';
import { notes } from './app.js';

type Notes = WeftClient<typeof notes>;

const book = new URLSearchParams(location.search).get('book') ?? 'shared';
const weft: Notes = await createClient(notes, {
  url: location.origin,
  scopes: [`book:${book}`],
  auth: 'notes-user',
  dbName: 'weft-notes',
  worker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
});
Object.assign(window, { weft });

function App({ client }: { client: Notes }) {
  const rows = useQuery(client, { table: 'notes', where: { book: `book:${book}` } });
  const status = useStatus(client);
  const sorted = [...rows].sort((a, b) => a.at - b.at || a.noteId.localeCompare(b.noteId));
  const add = (form: FormData) => {
    const text = String(form.get('text') ?? '').trim();
    if (!text) return;
    client.execute('addNote', { book, noteId: crypto.randomUUID(), text }).confirmed.catch(() => undefined);
  };
  return (
    <main>
      <h1>Notes</h1>
      <p role="status">
        {status.online ? 'online' : 'offline'}, {status.pending} pending
      </p>
      <form action={add}>
        <input name="text" aria-label="New note" />
        <button type="submit">Add note</button>
      </form>
      <ul aria-label="Notes">
        {sorted.map((note) => (
          <li key={note.noteId}>{note.text}</li>
        ))}
      </ul>
    </main>
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App client={weft} />);
