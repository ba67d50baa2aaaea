import type postgres from 'postgres';

type Scope = (sql: postgres.TransactionSql) => unknown;

/**
 * The postgres.js client with transactions that never write to a connection that has
 * closed.
 *
 * When a transaction's connection closes (its backend killed, PostgreSQL restarting, the
 * network gone), postgres.js rejects the transaction, but the transaction's own scope
 * still answers the failed query with a `ROLLBACK` on that connection, and any query the
 * callback sends afterwards goes there too. postgres.js has nulled the socket by then and
 * defers small writes to a `setImmediate`, which throws `TypeError: Cannot read
 * properties of null (reading 'write')` outside any promise: the process dies
 * (porsager/postgres#1154, still open for 3.4.9). The server rolled the transaction back
 * when the session ended, so there is nothing left to say on that connection.
 *
 * So a scope that ends after its connection closed never settles, and postgres.js sends
 * neither `COMMIT` nor `ROLLBACK`; the caller still gets the connection error, from the
 * transaction itself. Queries sent after the transaction is over fail without reaching
 * the connection.
 */
export function guardTransactions(sql: postgres.Sql): postgres.Sql {
  function begin(...args: unknown[]) {
    const scope = toScope(args.at(-1));
    const options = typeof args[0] === 'string' && args.length > 1 ? args[0] : '';
    const state = { over: false };
    const outcome = sql.begin(options, (tx) => guardedScope(tx, scope, state));
    const markOver = () => {
      state.over = true;
    };
    outcome.then(markOver, markOver);
    return outcome;
  }
  return new Proxy(sql, {
    get: (target, property, receiver) =>
      property === 'begin' ? begin : Reflect.get(target, property, receiver),
  });
}

function toScope(callback: unknown): Scope {
  if (typeof callback !== 'function') throw new TypeError('a transaction needs a callback');
  return (tx) => Reflect.apply(callback, undefined, [tx]);
}

async function guardedScope(tx: postgres.TransactionSql, scope: Scope, state: { over: boolean }) {
  let result: unknown;
  try {
    result = await scope(guardQueries(tx, state));
  } catch (error: unknown) {
    // A closing connection rejects the in-flight query and the transaction in the same
    // turn, and which of the two reaches here first depends on how many awaits lie on
    // each path. Once that turn's microtasks have all run, `over` says which it was.
    await new Promise((resolve) => setImmediate(resolve));
    if (state.over) return new Promise<never>(() => {});
    throw error;
  }
  // No wait on success: a callback cannot finish in the turn its connection closed (the
  // close settles no query), and by any later turn `over` is already set.
  if (state.over) return new Promise<never>(() => {});
  return result;
}

/** `tx` refusing queries once the transaction is over, savepoints guarded like `begin`. */
function guardQueries(
  tx: postgres.TransactionSql,
  state: { over: boolean },
): postgres.TransactionSql {
  const refuseWhenOver = () => {
    if (state.over) {
      throw new Error('The transaction is over: its database connection was lost.');
    }
  };
  function savepoint(...args: unknown[]) {
    refuseWhenOver();
    const scope = toScope(args.at(-1));
    const guarded = (inner: postgres.TransactionSql) => guardedScope(inner, scope, state);
    return typeof args[0] === 'string' && args.length > 1
      ? tx.savepoint(args[0], guarded)
      : tx.savepoint(guarded);
  }
  return new Proxy(tx, {
    apply(target, thisArg, args) {
      refuseWhenOver();
      return Reflect.apply(target, thisArg, args);
    },
    get(target, property, receiver) {
      if (property === 'savepoint') return savepoint;
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'unsafe' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        refuseWhenOver();
        return Reflect.apply(value, target, args);
      };
    },
  });
}
