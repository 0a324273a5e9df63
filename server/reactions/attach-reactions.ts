import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { Principal } from '../auth.ts';
import { handlePush, type PushDeps } from '../push.ts';
import { registerReactionMetrics } from './reaction-metrics.ts';
import { mountReactionRoutes } from './reaction-routes.ts';
import type { ReactionRunner } from './reaction-runner.ts';

/**
 * Wires a reaction runner into a server: starts it on the server's store and push pipeline,
 * adds its routes and its metrics. A saga's commands go through `handlePush` like any client's
 * (re-validated, audited, fanned out live); the reaction is trusted server code, so its writes
 * are authorized without asking the app's `auth`.
 */
export function attachReactions(
  server: Hono<{ Variables: { principal: Principal } }>,
  runner: ReactionRunner,
  deps: { push: PushDeps; registry: Registry },
): void {
  const pushDeps: PushDeps = { ...deps.push, auth: { authenticate: () => null, authorize: () => true } };
  runner.attach({
    app: deps.push.app,
    store: deps.push.store,
    push: async (principal, request) => {
      const results = await handlePush(pushDeps, principal, request);
      runner.notify();
      return results;
    },
    read: async (scope) => {
      const state = await deps.push.scopes.get(scope);
      return { tables: state.tables, head: state.head };
    },
  });
  mountReactionRoutes(server, runner, deps.push.auth);
  registerReactionMetrics(deps.registry, runner);
}
