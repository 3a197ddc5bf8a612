import { compileExpression, ExpressionEvaluationError, ExpressionSyntaxError } from './jsonata';

const limits = { timeoutMs: 50, maxDepth: 100, maxSequence: 1000 };

describe('bounded JSONata', () => {
  it('evaluates', async () => {
    expect(await compileExpression('payload.to = "active"', limits)({ payload: { to: 'active' } })).toBe(
      true,
    );
  });

  it('reports syntax errors with their position', () => {
    expect(() => compileExpression('payload.(', limits)).toThrow(ExpressionSyntaxError);
  });

  it('stops loops, deep recursion and huge sequences', async () => {
    const loop = compileExpression('($f := function($n){ $n > 1e12 ? $n : $f($n + 1) }; $f(0))', limits);
    await expect(loop({})).rejects.toThrow(ExpressionEvaluationError);
    await expect(compileExpression('[1..100000]', limits)({})).rejects.toThrow(/sequence longer than 1000/);
  });
});
