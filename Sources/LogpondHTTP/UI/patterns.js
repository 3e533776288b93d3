// Patterns: the newest matching lines (up to 10,000) grouped by their template, Drain-style:
// variable parts masked first (UUIDs, IPs, hex, numbers, quoted strings), then lines of the same
// length and first token joined when at least half their tokens agree, differing tokens
// becoming <*>. Each pattern keeps its lines, so counts add up to the lines looked at.
const MASKS = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<UUID>"],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, "<IP>"],
  [/\b(?:0x)?[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*\b/gi, (m) => (m.length >= 8 ? "<HEX>" : m)],
  [/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "<STR>"],
  [/\b\d+(?:\.\d+)?(?:ms|s|m|h|d|b|kb|mb|gb|%)?\b/gi, "<NUM>"],
];

export function mask(line) {
  let s = String(line).trim();
  for (const [re, to] of MASKS) s = s.replace(re, to);
  return s;
}

export function cluster(lines, threshold = 0.5) {
  const groups = new Map();   // "len|first" -> [pattern]
  const out = [];
  for (const l of lines) {
    const toks = mask(l.text).split(/\s+/).filter(Boolean);
    const key = toks.length + "|" + (toks[0] || "");
    const cands = groups.get(key) || [];
    let best = null, bestSim = -1;
    for (const p of cands) {
      let same = 0;
      for (let i = 0; i < toks.length; i++) if (p.tokens[i] === toks[i] || p.tokens[i] === "<*>") same++;
      const sim = toks.length ? same / toks.length : 1;
      if (sim > bestSim) { best = p; bestSim = sim; }
    }
    if (best && bestSim >= threshold) {
      for (let i = 0; i < toks.length; i++) if (best.tokens[i] !== toks[i]) best.tokens[i] = "<*>";
      best.lines.push(l);
    } else {
      const p = { tokens: toks, lines: [l] };
      cands.push(p);
      groups.set(key, cands);
      out.push(p);
    }
  }
  return out.map((p) => ({ template: p.tokens.join(" "), lines: p.lines, count: p.lines.length, newest: p.lines.reduce((m, x) => Math.max(m, x.time), -Infinity) }));
}
