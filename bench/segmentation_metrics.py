"""Disentanglement metrics as DSTC8 scores them (``tools/evaluation/dstc8-evaluation.py`` of
the irc-disentanglement repository): scaled VI, one-to-one overlap, conversation exact match."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Clusters = list[frozenset[int]]


def restrict(clusters: Clusters, nodes: frozenset[int]) -> Clusters:
    """Clusters cut down to the evaluated nodes (empty ones dropped)."""
    return [c & nodes for c in clusters if c & nodes]


def _hungarian_max(weights: list[list[int]]) -> int:
    """Maximum total weight of a matching in a dense rows × cols matrix (rows <= cols)."""
    n, m = len(weights), len(weights[0])
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    match, way = [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        match[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = match[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -weights[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    return sum(weights[match[j] - 1][j - 1] for j in range(1, m + 1) if match[j])


def one_to_one(gold: Clusters, predicted: Clusters) -> float:
    """Elsner & Charniak one-to-one overlap, in percent of the gold messages."""
    total = sum(len(c) for c in gold)
    if total == 0:
        return 100.0
    owner = {node: i for i, c in enumerate(predicted) for node in c}
    edges: dict[tuple[int, int], int] = {}
    for g, cluster in enumerate(gold):
        for node in cluster:
            if node in owner:
                key = (g, owner[node])
                edges[key] = edges.get(key, 0) + 1
    # The overlap graph falls apart into small components; match each one exactly.
    adjacency: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for g, p in edges:
        adjacency.setdefault(("g", g), set()).add(("p", p))
        adjacency.setdefault(("p", p), set()).add(("g", g))
    seen: set[tuple[str, int]] = set()
    matched = 0
    for start in adjacency:
        if start in seen:
            continue
        stack, part = [start], []
        seen.add(start)
        while stack:
            node = stack.pop()
            part.append(node)
            for nxt in adjacency[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        rows = [i for kind, i in part if kind == "g"]
        cols = [i for kind, i in part if kind == "p"]
        if len(rows) > len(cols):
            matrix = [[edges.get((g, p), 0) for g in rows] for p in cols]
        else:
            matrix = [[edges.get((g, p), 0) for p in cols] for g in rows]
        matched += _hungarian_max(matrix)
    return 100.0 * matched / total


def scaled_vi(files: Sequence[tuple[Clusters, Clusters]]) -> float:
    """DSTC8's 1 − scaled variation of information, in percent: ``1 − VI / log2 N`` over the
    messages of all files at once (``files`` holds (gold, predicted) over the same nodes)."""
    cells: list[int] = []
    rows: list[int] = []
    cols: list[int] = []
    for gold, predicted in files:
        owner = {node: i for i, c in enumerate(predicted) for node in c}
        for cluster in gold:
            counts: dict[int, int] = {}
            for node in cluster:
                counts[owner[node]] = counts.get(owner[node], 0) + 1
            cells.extend(counts.values())
        rows.extend(len(c) for c in gold)
        cols.extend(len(c) for c in predicted)
    total = sum(rows)
    if total <= 1:
        return 100.0

    def entropy(sizes: Sequence[int]) -> float:
        return -sum(n / total * math.log2(n / total) for n in sizes if n)

    # VI = H(U|V) + H(V|U) = 2 H(U,V) − H(U) − H(V)
    vi = 2 * entropy(cells) - entropy(rows) - entropy(cols)
    return 100.0 * (1.0 - vi / math.log2(total))


@dataclass(frozen=True, slots=True)
class Score:
    """Scores of one predictor over a set of files, as DSTC8 scores them."""

    vi: float
    one_to_one: float
    precision: float
    recall: float
    f1: float


def score(files: Sequence[tuple[Clusters, Clusters]]) -> Score:
    """Scaled VI, one-to-one and exact match over (gold, predicted) pairs of clusters.

    One-to-one sums each file's matching (the same as one matching over all files, since no
    conversation spans two files); exact match counts conversations of two or more messages
    only, on both sides, as ``dstc8-evaluation.py`` does.
    """
    covered = total = hits = n_gold = n_pred = 0.0
    for gold, predicted in files:
        size = sum(len(c) for c in gold)
        covered += one_to_one(gold, predicted) * size / 100.0
        total += size
        big_gold = {c for c in gold if len(c) > 1}
        big_pred = {c for c in predicted if len(c) > 1}
        hits += len(big_gold & big_pred)
        n_gold += len(big_gold)
        n_pred += len(big_pred)
    precision = 100.0 * hits / n_pred if n_pred else 0.0
    recall = 100.0 * hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    overlap = 100.0 * covered / total if total else 0.0
    return Score(scaled_vi(files), overlap, precision, recall, f1)
