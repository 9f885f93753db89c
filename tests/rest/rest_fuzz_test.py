#!/usr/bin/env python3
"""Malformed bodies against the real server: valid requests with one node swapped for a value
of another type, a key dropped or an unknown key added (seeded, a few thousand cases).

Every answer must be a JSON error or success with Qdrant's envelope (never a dropped
connection or a 5xx), and the server must stay up and keep serving the untouched collection.
usage: rest_fuzz_test.py <strata binary> <openapi json>
"""
import copy
import json
import random
import sys
import unittest

import rest_api_test as base

VALID = [
    ("PUT", "/collections/fz/points?wait=true",
     {"points": [{"id": 7, "vector": [0.1, 0.2, 0.3, 0.4], "payload": {"a": 1, "tags": ["x", "y"]}}]}),
    ("PUT", "/collections/fz/points?wait=true",
     {"batch": {"ids": [8, 9], "vectors": [[1, 2, 3, 4], [4, 3, 2, 1]], "payloads": [{"a": 2}, {"a": 3}]}}),
    ("POST", "/collections/fz/points/query",
     {"query": [1, 0, 0, 0], "limit": 3, "filter": {"must": [{"key": "a", "range": {"gte": 1}}]},
      "with_payload": {"include": ["a"]}, "params": {"hnsw_ef": 16, "exact": False}}),
    ("POST", "/collections/fz/points/query",
     {"query": {"recommend": {"positive": [1], "negative": [[0, 1, 0, 0]], "strategy": "best_score"}},
      "limit": 2}),
    ("POST", "/collections/fz/points/query",
     {"query": {"discover": {"target": 1, "context": [{"positive": 2, "negative": 3}]}}, "limit": 2}),
    ("POST", "/collections/fz/points/query",
     {"prefetch": [{"query": [1, 0, 0, 0], "limit": 5,
                    "prefetch": {"query": [0, 1, 0, 0], "limit": 10, "filter": {"must": []}}},
                   {"query": [0, 0, 1, 0], "score_threshold": -5}],
      "query": {"rrf": {"k": 3, "weights": [1, 2]}}, "limit": 3}),
    ("POST", "/collections/fz/points/query",
     {"query": {"order_by": {"key": "a", "direction": "asc", "start_from": 1}}, "limit": 2}),
    ("POST", "/collections/fz/points/query/groups",
     {"query": [1, 0, 0, 0], "group_by": "a", "limit": 2, "group_size": 2}),
    ("POST", "/collections/fz/points/scroll",
     {"limit": 5, "offset": 1, "with_vector": True, "order_by": {"key": "a", "direction": "desc"}}),
    ("POST", "/collections/fz/points/count",
     {"filter": {"should": [{"has_id": [1, 2]}, {"key": "tags", "match": {"any": ["x"]}}]}, "exact": True}),
    ("POST", "/collections/fz/facet", {"key": "a", "limit": 3}),
    ("POST", "/collections/fz/points/payload?wait=true", {"payload": {"b": True}, "points": [1, 2]}),
    ("POST", "/collections/fz/points/delete?wait=true",
     {"filter": {"must": [{"key": "a", "match": {"value": 123456}}]}}),
    ("PUT", "/collections/fz/index?wait=true", {"field_name": "a", "field_schema": "integer"}),
    ("POST", "/collections/fz/points/search",
     {"vector": [1, 0, 0, 0], "limit": 2, "with_payload": True}),
    ("POST", "/collections/fz/points/recommend/batch", {"searches": [{"positive": [1], "limit": 2}]}),
    ("POST", "/collections/fz/points/batch?wait=true",
     {"operations": [{"upsert": {"points": [{"id": 10, "vector": [1, 1, 1, 1]}]}},
                     {"set_payload": {"payload": {"c": 1}, "points": [10]}}]}),
    ("PATCH", "/collections/fz", {"optimizers_config": {"indexing_threshold": 10000},
                                  "hnsw_config": {"m": 16}}),
    ("PUT", "/collections/fz2", {"vectors": {"size": 4, "distance": "Cosine"},
                                 "hnsw_config": {"m": 8}, "quantization_config": {"scalar": {"type": "int8"}}}),
]

ODD_VALUES = [None, True, False, 0, -1, 1.5, 1e300, -9223372036854775809, 18446744073709551616,
              "", "x", "Cosine", [], [None], [1, "a"], {}, {"x": 1}, [[1, 2]], {"must": 5}]


def nodes(value, path=()):
    """Every (path, value) in a JSON tree."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from nodes(v, path + (i,))


def replace(tree, path, new):
    if not path:
        return new
    parent = tree
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = new
    return tree


def mutate(rng, body):
    tree = copy.deepcopy(body)
    all_nodes = list(nodes(tree))
    path, _ = rng.choice(all_nodes)
    kind = rng.random()
    if kind < 0.6:
        return replace(tree, path, copy.deepcopy(rng.choice(ODD_VALUES)))
    if kind < 0.8 and path:
        parent = tree
        for p in path[:-1]:
            parent = parent[p]
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
        return tree
    target = tree
    for p in path:
        target = target[p]
    if isinstance(target, dict):
        target["unknown_" + str(rng.randint(0, 9))] = rng.choice(ODD_VALUES)
    return tree


class RestFuzzTest(unittest.TestCase):
    def test_malformed_bodies_get_clean_errors(self):
        s = base.Server()
        try:
            status, _ = s.request("PUT", "/collections/fz", {"vectors": {"size": 4, "distance": "Dot"}})
            self.assertEqual(status, 200)
            for method, path, body in VALID:
                status, resp = s.request(method, path, body)
                self.assertLess(status, 500, f"valid {method} {path}: {resp}")
            status, resp = s.request("PUT", "/collections/keep", {"vectors": {"size": 2, "distance": "Dot"}})
            self.assertEqual(status, 200)
            s.request("PUT", "/collections/keep/points?wait=true",
                      {"points": [{"id": i, "vector": [i, 1]} for i in range(20)]})
            rng = random.Random(20261124)
            statuses = {}
            for n in range(2500):
                method, path, body = rng.choice(VALID)
                bad = mutate(rng, body)
                raw = None
                if rng.random() < 0.05:  # and some bodies that are not JSON at all
                    raw = json.dumps(bad).encode()[: rng.randint(0, 40)]
                status, resp = s.request(method, path, bad if raw is None else None, raw=raw)
                statuses[status] = statuses.get(status, 0) + 1
                self.assertIsNone(s.proc.poll(), f"server died on case {n}: {method} {path} {bad}")
                # 501 (a feature named as not implemented yet) is a clean answer; 5xx else is not.
                self.assertTrue(status < 500 or status == 501,
                                f"case {n}: {method} {path} {json.dumps(bad)} -> {status} {resp}")
                self.assertIsInstance(resp, dict, f"case {n}: not JSON: {resp!r}")
                self.assertIn("time", resp)
                if status != 200:
                    self.assertIsInstance(resp["status"]["error"], str)
            print("statuses:", statuses, file=sys.stderr)
            # Most mutations must be refused, some are still valid requests.
            self.assertGreater(sum(v for k, v in statuses.items() if k >= 400), 500, statuses)
            self.assertGreater(statuses.get(200, 0), 100, statuses)
            status, resp = s.request("POST", "/collections/keep/points/count", {})
            self.assertEqual((status, resp["result"]["count"]), (200, 20), "untouched data is intact")
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    base.STRATA = sys.argv[1] if len(sys.argv) > 1 else base.STRATA
    unittest.main(argv=[sys.argv[0], "-v"])
