import { isUnavailableError } from './unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isUnavailableError', () => {
  it.each([
    ['a refused connection (pg pool, nothing listening)', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['PostgreSQL shutting down (fast restart)', withCode('terminating connection due to administrator command', '57P01')],
    ['PostgreSQL starting up', withCode('the database system is starting up', '57P03')],
    ['a connection exception (SQLSTATE class 08)', withCode('connection failure', '08006')],
    ['a connection that ended mid-query', new Error('Connection terminated unexpectedly')],
    // pg, on a pooled client whose socket died between two queries of a transaction (a restart)
    ['a client whose connection broke', new Error('Client has encountered a connection error and is not queryable')],
    ['no connection from the pool in time', new Error('timeout exceeded when trying to connect')],
    ['Prisma unable to reach the server', withCode("Can't reach database server at 127.0.0.1:5432", 'P1001')],
    ['a driver adapter error with only text', new Error("Raw query failed. Code: `N/A`. Message: `Can't reach database server at 127.0.0.1:44899`")],
    ['a wrapped cause', new Error('history write failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') })],
  ])('recognises %s', (_, error) => expect(isUnavailableError(error)).toBe(true));

  it.each([
    ['a constraint violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a serialization failure (retried within the attempts)', withCode('could not serialize access', '40001')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a refusal by the handler', new Error('unknown lamp')],
    ['not an error at all', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('does not take %s for an outage', (_, error) => expect(isUnavailableError(error)).toBe(false));
});
