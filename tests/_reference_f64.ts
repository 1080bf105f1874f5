// A float64, plain-TypeScript oracle for one attention row with DropKey / DropAttention:
// a tiny reverse-mode autodiff over scalars (micrograd-style), independent of TensorFlow.js.

/** A scalar node of the computation graph. */
export class Value {
  grad = 0;
  constructor(
    readonly data: number,
    private readonly parents: readonly Value[] = [],
    private readonly local: readonly number[] = [], // ∂this/∂parent_i
  ) {}

  add(o: Value): Value {
    return new Value(this.data + o.data, [this, o], [1, 1]);
  }
  mul(o: Value): Value {
    return new Value(this.data * o.data, [this, o], [o.data, this.data]);
  }
  div(o: Value): Value {
    return new Value(this.data / o.data, [this, o], [1 / o.data, -this.data / (o.data * o.data)]);
  }
  exp(): Value {
    const e = Math.exp(this.data);
    return new Value(e, [this], [e]);
  }
  scale(c: number): Value {
    return new Value(this.data * c, [this], [c]);
  }
  /** A constant with this value: the gradient stops here (the paper's NoGrad). */
  detach(): Value {
    return new Value(this.data);
  }

  /** Back-propagates d(this)/d(node) into every node's `grad`. */
  backward(): void {
    const order: Value[] = [];
    const seen = new Set<Value>();
    const visit = (v: Value) => {
      if (seen.has(v)) return;
      seen.add(v);
      for (const p of v.parents) visit(p);
      order.push(v);
    };
    visit(this);
    for (const v of order) v.grad = 0;
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i]!;
      v.parents.forEach((p, j) => {
        p.grad += v.grad * v.local[j]!;
      });
    }
  }
}

function sum(xs: readonly Value[]): Value {
  return xs.reduce((a, b) => a.add(b));
}

/** Plain softmax of one row (with the max subtracted as a constant, for stability). */
export function softmaxRow(g: readonly Value[]): Value[] {
  const max = new Value(-Math.max(...g.map((v) => v.data)));
  const e = g.map((v) => v.add(max).exp());
  const z = sum(e);
  return e.map((v) => v.div(z));
}

/** DropKey on one row, exactly: dropped logits at −∞, i.e. removed from the softmax. */
export function dropKeyRow(g: readonly Value[], keep: readonly number[]): Value[] {
  const max = new Value(-Math.max(...g.filter((_, i) => keep[i] === 1).map((v) => v.data)));
  const e = g.map((v, i) => keep[i] === 1 ? v.add(max).exp() : new Value(0));
  const z = sum(e);
  return e.map((v) => v.div(z));
}

/** DropAttention on one row: `w̄ = w·keep`, `w' = w̄ / Σw̄`, the normaliser detached if `noGrad`. */
export function dropAttentionRow(
  g: readonly Value[],
  keep: readonly number[],
  noGrad: boolean,
): Value[] {
  const w = softmaxRow(g);
  const kept = w.map((v, i) => v.scale(keep[i]!));
  const total = sum(kept);
  const norm = noGrad ? total.detach() : total;
  return kept.map((v) => v.div(norm));
}

/** Forward values and `∂out[u]/∂g_j` for every j, of a row operator at logits `g`. */
export function rowJacobian(
  op: (g: readonly Value[]) => Value[],
  logits: readonly number[],
  u: number,
): { values: number[]; gradU: number[] } {
  const g = logits.map((x) => new Value(x));
  const out = op(g);
  out[u]!.backward();
  return { values: out.map((v) => v.data), gradU: g.map((v) => v.grad) };
}

/**
 * The paper's closed forms (§3.1, Eqs. 7-10) for one dropped key `m` and a kept key `u`.
 */
export function paperGradients(logits: readonly number[], m: number, u: number) {
  const e = logits.map(Math.exp);
  const z = e.reduce((a, b) => a + b, 0);
  const sNotM = z - e[m]!;
  const eu = e[u]!;
  return {
    dropKeyUU: eu * (sNotM - eu) / (sNotM * sNotM),
    dropKeyUM: 0,
    dropAttentionUU: eu * (z - eu) / (z * sNotM),
    dropAttentionUM: -eu * e[m]! / (z * sNotM),
    k: (1 - eu / sNotM) / (1 - eu / z),
  };
}
