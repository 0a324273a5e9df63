import { runClientStorageContract } from './client-storage.contract.ts';
import { memoryStorage } from './memory-storage.ts';
import { todo } from './testing/todo-app.ts';

runClientStorageContract('memory', () => {
  const storage = memoryStorage({ tables: todo.tables });
  return () => storage;
});
