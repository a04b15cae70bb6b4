// The statistics the browser tests judge the pages' measurements with.
'use strict';

const mean = a => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
const std = a => { const m = mean(a); return Math.sqrt(mean(a.map(v => (v - m) ** 2))); };

// Pearson correlation of paired values.
function pearson(xs, ys) {
  const mx = mean(xs), my = mean(ys);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy || 1);
}

module.exports = { mean, pearson, std };
