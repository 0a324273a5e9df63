import { afterAll } from 'vitest';
import { tempDir } from '../../tests/support/server-process.ts';
import { runEventStoreContract } from './contract.ts';
import { sqliteStore } from './sqlite.ts';

runEventStoreContract('sqlite :memory:', () => sqliteStore({ file: ':memory:' }));

const temp = tempDir('weft-sqlite-contract-');
afterAll(() => temp.dispose());
let n = 0;
runEventStoreContract('sqlite file', () => sqliteStore({ file: `${temp.dir}/store-${++n}.db` }));
