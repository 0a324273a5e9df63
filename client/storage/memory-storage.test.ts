import { todo } from '../testing/todo-app.ts';
import { runClientStorageContract } from './client-storage.contract.ts';
import { memoryStorage } from './memory-storage.ts';

runClientStorageContract('memory', () => {
  const storage = memoryStorage({ tables: todo.tables });
  return () => storage;
});
