import { describe, expect, it } from 'vitest';
import { AuditIndex } from './audit-index.ts';
import { auditRecord, scriptedServer } from './scripted-client.ts';

describe('the audit index', () => {
  it('collapses refreshes asked for during a read into one more read, which sees the newer records', async () => {
    const server = scriptedServer();
    const audit = new AuditIndex(server);
    const first = audit.refresh(['board:b1']);
    server.records.push(auditRecord({ commandId: 'late', name: 'addCard', outcome: 'clean' }));
    for (let i = 0; i < 50; i++) void audit.refresh(['board:b1']);
    await first;
    await expect.poll(() => audit.record('late')?.outcome).toBe('clean');
    expect(server.auditReads).toBe(2);
    expect(audit.state.kind).toBe('ready');
  });

  it('tells a refused token from a failure', async () => {
    const server = scriptedServer();
    server.forbid = true;
    const audit = new AuditIndex(server);
    await audit.refresh(['board:b1']);
    expect(audit.state.kind).toBe('forbidden');
    expect(new AuditIndex(null).state.kind).toBe('off');
  });
});
