#!/usr/bin/env python3
"""Route-by-route tests of the REST API against the real server process.

Every JSON response body is asserted and validated against the response schema of its route in
the Qdrant 1.19 OpenAPI spec (OpenAPI 3.0 'nullable' translated to JSON Schema).
usage: rest_api_test.py <strata binary> <openapi json>
"""
import copy
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import jsonschema

STRATA = sys.argv[1] if len(sys.argv) > 1 else "build/release/bin/strata"
SPEC_PATH = sys.argv[2] if len(sys.argv) > 2 else "../shared/spec/qdrant-openapi-1.19.0.json"
with open(SPEC_PATH) as f:
    SPEC = json.load(f)


def openapi_to_jsonschema(node):
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes an explicit null alternative."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        if "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out:
                out["enum"] = out["enum"] + [None]
        elif len(out) == 0:
            return {}
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


COMPONENTS = openapi_to_jsonschema(SPEC["components"])


def response_schema(path_template, method):
    op = SPEC["paths"][path_template][method.lower()]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    return dict(openapi_to_jsonschema(schema), components=COMPONENTS)


def validate(body, path_template, method):
    jsonschema.validate(body, response_schema(path_template, method))


def validate_component(value, name):
    jsonschema.validate(value, {"$ref": "#/components/schemas/" + name, "components": COMPONENTS})


class Server:
    def __init__(self, env=None, dir=None, args=()):
        self.dir = dir or tempfile.mkdtemp(prefix="strata-rest-")
        self.log_path = os.path.join(self.dir, "log")
        e = {k: v for k, v in os.environ.items() if not k.startswith("STRATA__")}
        e.update({"STRATA__STORAGE__STORAGE_PATH": os.path.join(self.dir, "storage"),
                  "STRATA__STORAGE__SNAPSHOTS_PATH": os.path.join(self.dir, "snapshots"),
                  "STRATA__SERVICE__HOST": "127.0.0.1",
                  "STRATA__SERVICE__HTTP_PORT": "0",
                  "STRATA__SERVICE__GRPC_PORT": "0",
                  "STRATA__SERVICE__MAX_REQUEST_SIZE_MB": "1"})
        e.update(env or {})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([STRATA, *args], stderr=self.log, stdout=subprocess.DEVNULL, env=e)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path) as f:
                text = f.read()
            m = re.search(r"REST listening on port (\d+)", text)
            if m and "ready" in text:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + text)
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + open(self.log_path).read())

    def request(self, method, path, body=None, headers=None, raw=None, tls=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        scheme = "https" if tls else "http"
        req = urllib.request.Request(f"{scheme}://127.0.0.1:{self.port}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30, context=tls) as r:
                status, payload, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, payload, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        if "json" in ctype:
            return status, json.loads(payload)
        return status, payload.decode()

    def stop(self, keep=False):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return code

    def kill(self):
        """SIGKILL: no final snapshot, no flush; the storage stays for a restart."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()


class RestApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def call(self, method, path, body=None, expect=200, template=None, **kw):
        status, resp = self.s.request(method, path, body, **kw)
        self.assertEqual(status, expect, f"{method} {path}: {resp}")
        if isinstance(resp, dict):
            self.assertIn("time", resp)
            if expect == 200:
                self.assertEqual(resp.get("status"), "ok", resp)
                if template:
                    validate(resp, template, method)
            else:
                self.assertIsInstance(resp["status"]["error"], str)
        return resp

    def make(self, name, size=4, distance="Dot"):
        self.call("PUT", f"/collections/{name}", {"vectors": {"size": size, "distance": distance}},
                  template="/collections/{collection_name}")

    def test_01_service_routes(self):
        status, root = self.s.request("GET", "/")
        self.assertEqual(status, 200)
        validate(root, "/", "GET")
        self.assertEqual(root["version"], "1.19.0")
        self.assertIn("strata", root["title"])
        self.assertEqual(len(root["commit"]), 40)
        self.assertEqual(self.s.request("GET", "/healthz"), (200, "healthz check passed"))
        self.assertEqual(self.s.request("GET", "/livez"), (200, "livez check passed"))
        self.assertEqual(self.s.request("GET", "/readyz"), (200, "all shards are ready"))

    def test_02_collection_lifecycle(self):
        self.make("life")
        dup = self.call("PUT", "/collections/life", {"vectors": {"size": 4, "distance": "Dot"}}, expect=409)
        self.assertIn("already exists", dup["status"]["error"])
        info = self.call("GET", "/collections/life", template="/collections/{collection_name}")["result"]
        self.assertEqual(info["config"]["params"]["vectors"], {"size": 4, "distance": "Dot"})
        self.assertEqual(info["status"], "green")
        self.assertEqual(info["points_count"], 0)
        self.assertEqual(info["config"]["hnsw_config"]["m"], 16)
        names = [c["name"] for c in self.call("GET", "/collections", template="/collections")["result"]["collections"]]
        self.assertIn("life", names)
        ex = self.call("GET", "/collections/life/exists", template="/collections/{collection_name}/exists")
        self.assertEqual(ex["result"], {"exists": True})
        patched = self.call("PATCH", "/collections/life", {"optimizers_config": {"indexing_threshold": 5000}},
                            template="/collections/{collection_name}")
        self.assertTrue(patched["result"])
        info = self.call("GET", "/collections/life")["result"]
        self.assertEqual(info["config"]["optimizer_config"]["indexing_threshold"], 5000)
        self.assertTrue(self.call("DELETE", "/collections/life", template="/collections/{collection_name}")["result"])
        missing = self.call("GET", "/collections/life", expect=404)
        self.assertEqual(missing["status"]["error"], "Not found: Collection `life` doesn't exist!")

    def test_03_points_write_and_read(self):
        self.make("pts")
        up = self.call("PUT", "/collections/pts/points?wait=true", {"points": [
            {"id": 1, "vector": [0.05, 0.61, 0.76, 0.74], "payload": {"city": "Berlin", "n": 3}},
            {"id": 2, "vector": [0.19, 0.81, 0.75, 0.11], "payload": {"city": ["Berlin", "London"]}},
            {"id": "550e8400-e29b-41d4-a716-446655440000", "vector": [0.36, 0.55, 0.47, 0.94],
             "payload": {"city": "Moscow", "price": 1.5}}]}, template="/collections/{collection_name}/points")
        self.assertEqual(up["result"]["status"], "completed")
        batch = self.call("PUT", "/collections/pts/points?wait=true", {"batch": {
            "ids": [10, 11], "vectors": [[1, 0, 0, 0], [0, 1, 0, 0]], "payloads": [{"k": 1}, None]}},
            template="/collections/{collection_name}/points")
        self.assertEqual(batch["result"]["status"], "completed")
        got = self.call("POST", "/collections/pts/points", {"ids": [1, "550e8400-e29b-41d4-a716-446655440000", 999]},
                        template="/collections/{collection_name}/points")["result"]
        self.assertEqual([p["id"] for p in got], [1, "550e8400-e29b-41d4-a716-446655440000"])
        self.assertEqual(got[0]["payload"], {"city": "Berlin", "n": 3})
        self.assertIsInstance(got[0]["payload"]["n"], int, "integers stay integers")
        self.assertEqual(got[1]["payload"]["price"], 1.5)
        one = self.call("GET", "/collections/pts/points/1", template="/collections/{collection_name}/points/{id}")["result"]
        self.assertEqual(one["vector"], [0.05, 0.61, 0.76, 0.74])
        self.call("GET", "/collections/pts/points/12345", expect=404)

        # The example from the spec's own description: same scores.
        hits = self.call("POST", "/collections/pts/points/query",
                         {"query": [0.2, 0.1, 0.9, 0.7], "limit": 3, "filter": {"must_not": [{"has_id": [10, 11]}]}},
                         template="/collections/{collection_name}/points/query")["result"]["points"]
        self.assertEqual([h["id"] for h in hits], [1, "550e8400-e29b-41d4-a716-446655440000", 2])
        self.assertAlmostEqual(hits[0]["score"], 1.273, places=3)
        legacy = self.call("POST", "/collections/pts/points/search", {
            "vector": [0.2, 0.1, 0.9, 0.7], "limit": 3, "with_payload": True,
            "filter": {"should": [{"key": "city", "match": {"value": "London"}}]}})["result"]
        self.assertEqual(len(legacy), 1)
        for h in legacy:
            validate_component(h, "ScoredPoint")
        self.assertEqual(legacy[0]["id"], 2)
        self.assertAlmostEqual(legacy[0]["score"], 0.871, places=3)

        page = self.call("POST", "/collections/pts/points/scroll", {"limit": 2},
                         template="/collections/{collection_name}/points/scroll")["result"]
        self.assertEqual([p["id"] for p in page["points"]], [1, 2])
        self.assertEqual(page["next_page_offset"], 10)
        rest = self.call("POST", "/collections/pts/points/scroll", {"limit": 10, "offset": page["next_page_offset"]})["result"]
        self.assertEqual([p["id"] for p in rest["points"]], [10, 11, "550e8400-e29b-41d4-a716-446655440000"])
        self.assertIsNone(rest["next_page_offset"])
        count = self.call("POST", "/collections/pts/points/count",
                          {"filter": {"must": [{"key": "city", "match": {"any": ["Berlin", "Moscow"]}}]}},
                          template="/collections/{collection_name}/points/count")
        self.assertEqual(count["result"], {"count": 3})

    def test_04_payload_operations_and_index(self):
        self.make("pay")
        self.call("PUT", "/collections/pay/points?wait=true", {"points": [
            {"id": i, "vector": [i, 1, 0, 0], "payload": {"g": i % 2, "name": f"p{i}"}} for i in range(6)]})
        self.call("POST", "/collections/pay/points/payload?wait=true",
                  {"payload": {"flag": True}, "filter": {"must": [{"key": "g", "match": {"value": 1}}]}},
                  template="/collections/{collection_name}/points/payload")
        flagged = self.call("POST", "/collections/pay/points/count",
                            {"filter": {"must": [{"key": "flag", "match": {"value": True}}]}})["result"]["count"]
        self.assertEqual(flagged, 3)
        self.call("PUT", "/collections/pay/points/payload?wait=true", {"payload": {"only": 1}, "points": [0]},
                  template="/collections/{collection_name}/points/payload")
        self.assertEqual(self.call("GET", "/collections/pay/points/0")["result"]["payload"], {"only": 1})
        self.call("POST", "/collections/pay/points/payload/delete?wait=true", {"keys": ["name"], "points": [1]},
                  template="/collections/{collection_name}/points/payload/delete")
        self.assertEqual(self.call("GET", "/collections/pay/points/1")["result"]["payload"], {"g": 1, "flag": True})
        self.call("POST", "/collections/pay/points/payload/clear?wait=true", {"points": [2]},
                  template="/collections/{collection_name}/points/payload/clear")
        self.assertEqual(self.call("GET", "/collections/pay/points/2")["result"]["payload"], {})
        idx = self.call("PUT", "/collections/pay/index?wait=true", {"field_name": "g", "field_schema": "integer"},
                        template="/collections/{collection_name}/index")
        self.assertEqual(idx["result"]["status"], "completed")
        schema = self.call("GET", "/collections/pay", template="/collections/{collection_name}")["result"]["payload_schema"]
        self.assertEqual(schema["g"]["data_type"], "integer")
        self.assertEqual(schema["g"]["points"], 4, "0 was overwritten without g, 2 was cleared")
        self.call("POST", "/collections/pay/points/delete?wait=true", {"filter": {"must": [{"key": "g", "match": {"value": 1}}]}},
                  template="/collections/{collection_name}/points/delete")
        self.assertEqual(self.call("POST", "/collections/pay/points/count", {})["result"]["count"], 3)

    def test_05_aliases(self):
        self.make("real")
        self.call("POST", "/collections/aliases", {"actions": [{"create_alias": {"collection_name": "real", "alias_name": "prod"}}]},
                  template="/collections/aliases")
        al = self.call("GET", "/aliases", template="/aliases")["result"]["aliases"]
        self.assertIn({"alias_name": "prod", "collection_name": "real"}, al)
        per = self.call("GET", "/collections/real/aliases", template="/collections/{collection_name}/aliases")["result"]
        self.assertEqual(per["aliases"], [{"alias_name": "prod", "collection_name": "real"}])
        self.call("PUT", "/collections/prod/points?wait=true", {"points": [{"id": 1, "vector": [1, 0, 0, 0]}]})
        self.assertEqual(self.call("POST", "/collections/real/points/count", {})["result"]["count"], 1)
        self.call("POST", "/collections/aliases", {"actions": [{"delete_alias": {"alias_name": "prod"}}]})
        self.call("POST", "/collections/prod/points/count", {}, expect=404)

    def test_08_recommend(self):
        self.make("rec", distance="Euclid")
        self.call("PUT", "/collections/rec/points?wait=true", {"points": [
            {"id": i, "vector": [i, 0, 0, 0], "payload": {"i": i}} for i in range(10)]})
        # average_vector: 2 * mean(positive) - mean(negative) = 2*[4] - [0] = [8]: nearest 8, 9, 7
        res = self.call("POST", "/collections/rec/points/query",
                        {"query": {"recommend": {"positive": [4], "negative": [0]}}, "limit": 3},
                        template="/collections/{collection_name}/points/query")["result"]["points"]
        self.assertEqual(res[0]["id"], 8)
        self.assertEqual({p["id"] for p in res[1:]}, {7, 9}, "7 and 9 tie at distance 1")
        legacy = self.call("POST", "/collections/rec/points/recommend",
                           {"positive": [2, 3], "limit": 2})["result"]
        self.assertEqual(sorted(p["id"] for p in legacy), [1, 4], "examples are excluded")
        for p in legacy:
            validate_component(p, "ScoredPoint")
        err = self.call("POST", "/collections/rec/points/query",
                        {"query": {"recommend": {"positive": [1], "strategy": "best_of_all"}}}, expect=400)
        self.assertIn("recommend.strategy", err["status"]["error"])

    def test_09_batch_update(self):
        self.make("batch")
        res = self.call("POST", "/collections/batch/points/batch?wait=true", {"operations": [
            {"upsert": {"points": [{"id": i, "vector": [i, 1, 0, 0], "payload": {"i": i}} for i in range(5)]}},
            {"set_payload": {"payload": {"hot": True}, "points": [1, 2]}},
            {"delete_payload": {"keys": ["i"], "points": [2]}},
            {"delete": {"points": [4]}},
            {"overwrite_payload": {"payload": {"only": 0}, "points": [0]}},
        ]}, template="/collections/{collection_name}/points/batch")["result"]
        self.assertEqual(len(res), 5)
        self.assertTrue(all(r["status"] == "completed" for r in res))
        got = {p["id"]: p["payload"] for p in self.call("POST", "/collections/batch/points/scroll", {})["result"]["points"]}
        self.assertEqual(got, {0: {"only": 0}, 1: {"i": 1, "hot": True}, 2: {"hot": True}, 3: {"i": 3}})
        err = self.call("POST", "/collections/batch/points/batch", {"operations": [
            {"upsert": {"points": [{"id": 9, "vector": [1, 2, 3, 4]}]}},
            {"upsert": {"points": [{"id": 10, "vector": [1, 2]}]}}]}, expect=400)
        self.assertIn("operations[1]", err["status"]["error"])
        self.assertEqual(self.call("POST", "/collections/batch/points/count", {})["result"]["count"], 4,
                         "a batch with a bad operation writes nothing")

    def test_10_scroll_order_by(self):
        self.make("ordered")
        self.call("PUT", "/collections/ordered/points?wait=true", {"points": [
            {"id": i, "vector": [1, 0, 0, 0], "payload": {"price": (i * 7) % 10, "at": f"2024-01-0{1 + i % 9}T00:00:00Z"}}
            for i in range(10)] + [{"id": 99, "vector": [1, 0, 0, 0], "payload": {}}]})
        page = self.call("POST", "/collections/ordered/points/scroll",
                         {"limit": 4, "order_by": {"key": "price", "direction": "desc"}},
                         template="/collections/{collection_name}/points/scroll")["result"]
        self.assertEqual([p["order_value"] for p in page["points"]], [9, 8, 7, 6])
        self.assertEqual([p["payload"]["price"] for p in page["points"]], [9, 8, 7, 6])
        self.assertIsNone(page["next_page_offset"])
        rest = self.call("POST", "/collections/ordered/points/scroll",
                         {"limit": 20, "order_by": {"key": "price", "start_from": 5}})["result"]["points"]
        self.assertEqual([p["payload"]["price"] for p in rest], [5, 6, 7, 8, 9], "no point without the key")
        by_date = self.call("POST", "/collections/ordered/points/scroll",
                            {"limit": 2, "order_by": "at"})["result"]["points"]
        self.assertEqual([p["id"] for p in by_date], [0, 9])

    def test_11_hnsw_index_after_optimization(self):
        import random
        rng = random.Random(7)
        dim = 32
        self.call("PUT", "/collections/hnsw", {"vectors": {"size": dim, "distance": "Cosine"},
                                               "optimizers_config": {"indexing_threshold": 20},
                                               "hnsw_config": {"full_scan_threshold": 1}})
        centers = [[rng.gauss(0, 1) for _ in range(dim)] for _ in range(20)]
        for b in range(6):
            pts = []
            for i in range(b * 500, (b + 1) * 500):
                c = centers[i % 20]
                pts.append({"id": i, "vector": [x + rng.gauss(0, 0.3) for x in c], "payload": {"g": i % 4}})
            self.call("PUT", "/collections/hnsw/points?wait=true", {"points": pts})
        deadline = time.time() + 60
        info = {}
        while time.time() < deadline:
            info = self.call("GET", "/collections/hnsw")["result"]
            if info["indexed_vectors_count"] >= 3000:
                break
            time.sleep(0.1)
        self.assertGreaterEqual(info["indexed_vectors_count"], 3000, "the optimizer indexed the points")
        hit = total = 0
        for t in range(30):
            q = [x + rng.gauss(0, 0.3) for x in centers[t % 20]]
            for flt in (None, {"must": [{"key": "g", "match": {"value": 1}}]}):
                body = {"query": q, "limit": 10}
                if flt:
                    body["filter"] = flt
                approx = [p["id"] for p in self.call("POST", "/collections/hnsw/points/query", body)["result"]["points"]]
                exact = [p["id"] for p in self.call("POST", "/collections/hnsw/points/query",
                                                    dict(body, params={"exact": True}))["result"]["points"]]
                hit += len(set(approx) & set(exact))
                total += len(exact)
                if flt:
                    self.assertTrue(all(i % 4 == 1 for i in approx), "the filter holds through the index")
        self.assertGreaterEqual(hit / total, 0.9, f"recall@10 through HNSW: {hit / total:.3f}")
        # params.acorn (ACORN-1 for filtered graph searches) is accepted and validated.
        body = {"query": centers[0], "limit": 10, "filter": {"must": [{"key": "g", "match": {"value": 1}}]},
                "params": {"hnsw_ef": 16, "acorn": {"enable": True, "max_selectivity": 0.5}}}
        got = self.call("POST", "/collections/hnsw/points/query", body,
                        template="/collections/{collection_name}/points/query")["result"]["points"]
        self.assertEqual(len(got), 10)
        self.assertTrue(all(p["id"] % 4 == 1 for p in got))
        for acorn, field in (({"enable": True, "max_selectivity": 1.5}, "acorn.max_selectivity"),
                             ({"enable": "yes"}, "acorn.enable"), (True, "acorn")):
            bad = self.call("POST", "/collections/hnsw/points/query",
                            dict(body, params={"acorn": acorn}), expect=400)
            self.assertIn(field, bad["status"]["error"])

    def test_23_payload_links_for_tenants(self):
        """Points of one tenant (an indexed keyword) get their own links in the graph, and a
        search filtered to one tenant walks them: same answers as an exact search."""
        import random
        rng = random.Random(23)
        dim = 16
        self.call("PUT", "/collections/tenants", {"vectors": {"size": dim, "distance": "Euclid"},
                                                  "optimizers_config": {"indexing_threshold": 20},
                                                  "hnsw_config": {"full_scan_threshold": 1, "m": 8}})
        pts = [{"id": i, "vector": [rng.gauss(0, 1) for _ in range(dim)],
                "payload": {"tenant": "t%d" % rng.randrange(25)}} for i in range(3000)]
        for b in range(0, 3000, 500):  # the test server takes 1 MiB bodies
            self.call("PUT", "/collections/tenants/points?wait=true", {"points": pts[b:b + 500]})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.call("GET", "/collections/tenants")["result"]["indexed_vectors_count"] >= 3000:
                break
            time.sleep(0.1)
        # The payload index comes after the graph (a common order): the optimizer rebuilds the
        # graph with the tenants' links.
        self.call("PUT", "/collections/tenants/index?wait=true",
                  {"field_name": "tenant", "field_schema": "keyword"})
        deadline = time.time() + 20
        while "payload-aware links (m 8) for 25 value groups" not in self.s.log_text() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn("payload-aware links (m 8) for 25 value groups, 3000 points", self.s.log_text())
        tenant_of = {p["id"]: p["payload"]["tenant"] for p in pts}
        hit = total = 0
        for t in range(40):
            tenant = "t%d" % (t % 25)  # 4% each: searched by walking the tenant's own links
            body = {"query": [rng.gauss(0, 1) for _ in range(dim)], "limit": 10,
                    "filter": {"must": [{"key": "tenant", "match": {"value": tenant}}]}}
            approx = [p["id"] for p in self.call("POST", "/collections/tenants/points/query", body)["result"]["points"]]
            exact = [p["id"] for p in self.call("POST", "/collections/tenants/points/query",
                                                dict(body, params={"exact": True}))["result"]["points"]]
            self.assertEqual(len(approx), 10)
            self.assertTrue(all(tenant_of[i] == tenant for i in approx), "only the tenant's points")
            hit += len(set(approx) & set(exact))
            total += len(exact)
        self.assertGreaterEqual(hit / total, 0.95, f"tenant-filtered recall@10: {hit / total:.3f}")
        self.call("DELETE", "/collections/tenants")

    def test_27_tenant_links_follow_writes(self):
        """The payload index comes first and the points stream in (the usual multi-tenant
        order): tenants reaching the scan threshold after the first build get links, points
        inserted later join their tenant's links, and a point moved to another tenant by a
        payload write is found through that tenant's filter at once."""
        import random
        rng = random.Random(27)
        dim, tenants = 16, 40
        self.call("PUT", "/collections/streams", {"vectors": {"size": dim, "distance": "Euclid"},
                                                  "optimizers_config": {"indexing_threshold": 20},
                                                  "hnsw_config": {"full_scan_threshold": 1, "m": 8}})
        self.call("PUT", "/collections/streams/index?wait=true",
                  {"field_name": "tenant", "field_schema": "keyword"})
        pts = [{"id": i, "vector": [rng.gauss(0, 1) for _ in range(dim)],
                "payload": {"tenant": "t%d" % rng.randrange(tenants)}} for i in range(6000)]

        def wait_indexed(n):
            deadline = time.time() + 60
            while time.time() < deadline:
                if self.call("GET", "/collections/streams")["result"]["indexed_vectors_count"] >= n:
                    return
                time.sleep(0.05)
            self.fail("not indexed in time")
        for b in range(0, 6000, 500):
            self.call("PUT", "/collections/streams/points?wait=true", {"points": pts[b:b + 500]})
            if b == 0:
                wait_indexed(500)  # the first build sees 500 points: 12 per tenant, no links
        wait_indexed(6000)
        deadline = time.time() + 30
        while "payload links now cover 6000 points" not in self.s.log_text() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn("payload links now cover 6000 points", self.s.log_text())
        tenant_of = {p["id"]: p["payload"]["tenant"] for p in pts}
        vector_of = {p["id"]: p["vector"] for p in pts}

        def recall(tenant_names):
            hit = total = 0
            for tenant in tenant_names:
                body = {"query": [rng.gauss(0, 1) for _ in range(dim)], "limit": 10,
                        "filter": {"must": [{"key": "tenant", "match": {"value": tenant}}]}}
                approx = [p["id"] for p in self.call("POST", "/collections/streams/points/query", body)["result"]["points"]]
                exact = [p["id"] for p in self.call("POST", "/collections/streams/points/query",
                                                    dict(body, params={"exact": True}))["result"]["points"]]
                self.assertTrue(all(tenant_of[i] == tenant for i in approx), "only the tenant's points")
                hit += len(set(approx) & set(exact))
                total += len(exact)
            return hit / total
        r = recall(["t%d" % t for t in range(tenants)])
        self.assertGreaterEqual(r, 0.95, f"tenant-filtered recall@10: {r:.3f}")
        # Move 60 points of other tenants into t0: each is t0's nearest point to its own vector.
        moved = [i for i in range(6000) if tenant_of[i] != "t0"][:60]
        self.call("POST", "/collections/streams/points/payload?wait=true",
                  {"payload": {"tenant": "t0"}, "points": moved})
        for i in moved:
            tenant_of[i] = "t0"

        def found_moved():
            n = 0
            for i in moved:
                body = {"query": vector_of[i], "limit": 1,
                        "filter": {"must": [{"key": "tenant", "match": {"value": "t0"}}]}}
                got = self.call("POST", "/collections/streams/points/query", body)["result"]["points"]
                n += 1 if got and got[0]["id"] == i else 0
            return n
        self.assertEqual(found_moved(), len(moved), "moved points found before the optimizer relinks them")
        deadline = time.time() + 30
        while "payload links now cover 6000 points (60 relinked" not in self.s.log_text() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn("payload links now cover 6000 points (60 relinked", self.s.log_text())
        self.assertEqual(found_moved(), len(moved), "moved points found through their new tenant's links")
        r = recall(["t0"] * 10 + ["t%d" % t for t in range(1, tenants)])
        self.assertGreaterEqual(r, 0.95, f"tenant-filtered recall@10 after the move: {r:.3f}")
        self.call("DELETE", "/collections/streams")

    def test_28_optimization_progress(self):
        """GET /collections/{name}/optimizations: the index build shows as a completed
        "indexing" optimization whose build step counted done == total, the segment then takes
        its uuid, and the optional parts appear only when asked for."""
        import random
        rng = random.Random(28)
        dim = 16
        self.call("PUT", "/collections/opt", {"vectors": {"size": dim, "distance": "Cosine"},
                                              "optimizers_config": {"indexing_threshold": 20}})
        pts = [{"id": i, "vector": [rng.gauss(0, 1) for _ in range(dim)]} for i in range(1500)]
        self.call("PUT", "/collections/opt/points?wait=true", {"points": pts})
        tmpl = "/collections/{collection_name}/optimizations"
        deadline = time.time() + 60
        while time.time() < deadline:
            r = self.call("GET", "/collections/opt/optimizations?with=queued,completed,idle_segments",
                          template=tmpl)["result"]
            if r["summary"]["idle_segments"] == 1 and r["completed"]:
                break
            time.sleep(0.05)
        self.assertEqual(r["running"], [])
        self.assertEqual(r["queued"], [])
        self.assertEqual(r["summary"], {"queued_optimizations": 0, "queued_segments": 0,
                                        "queued_points": 0, "idle_segments": 1})
        built = [o for o in r["completed"] if o["optimizer"] == "indexing"]
        self.assertTrue(built, r["completed"])
        last = built[0]
        self.assertEqual(last["status"], "done")
        self.assertEqual(last["progress"]["name"], "indexing")
        self.assertGreaterEqual(last["progress"]["duration_sec"], 0)
        steps = {c["name"]: c for c in last["progress"]["children"]}
        self.assertIn("build", steps)
        self.assertGreater(steps["build"]["total"], 0)
        self.assertEqual(steps["build"]["done"], steps["build"]["total"])
        self.assertIn("finished_at", steps["build"])
        # The segment after the build is the optimization's product.
        self.assertEqual(r["idle_segments"], [{"uuid": r["completed"][0]["uuid"], "points_count": 1500}])
        plain = self.call("GET", "/collections/opt/optimizations", template=tmpl)["result"]
        self.assertEqual(set(plain), {"summary", "running"})
        none = self.call("GET", "/collections/opt/optimizations?with=completed&completed_limit=0",
                         template=tmpl)["result"]
        self.assertEqual(none["completed"], [])
        bad = self.call("GET", "/collections/opt/optimizations?with=queued,everything", expect=400)
        self.assertIn("with: unknown value 'everything'", bad["status"]["error"])
        bad = self.call("GET", "/collections/opt/optimizations?completed_limit=-1", expect=400)
        self.assertIn("completed_limit", bad["status"]["error"])
        self.call("GET", "/collections/nope/optimizations", expect=404)
        # Deleting most points makes a vacuum due: it runs and is listed too.
        self.call("POST", "/collections/opt/points/delete?wait=true", {"points": list(range(1200))})
        deadline = time.time() + 30
        while time.time() < deadline:
            r = self.call("GET", "/collections/opt/optimizations?with=completed", template=tmpl)["result"]
            if any(o["optimizer"] == "vacuum" for o in r["completed"]):
                break
            time.sleep(0.05)
        vac = [o for o in r["completed"] if o["optimizer"] == "vacuum"]
        self.assertTrue(vac, r["completed"])
        self.assertEqual(vac[0]["segments"][0]["points_count"], 300)
        self.call("DELETE", "/collections/opt")

    def test_30_optimizer_settings_apply_at_once(self):
        """PATCH optimizers_config acts on the running collection: indexing off
        (indexing_threshold 0) until a threshold is set, nothing while max_optimization_threads
        is 0."""
        import random
        rng = random.Random(30)
        self.call("PUT", "/collections/live", {"vectors": {"size": 8, "distance": "Dot"},
                                               "optimizers_config": {"indexing_threshold": 0}})
        self.call("PUT", "/collections/live/points?wait=true", {"points": [
            {"id": i, "vector": [rng.gauss(0, 1) for _ in range(8)]} for i in range(1000)]})
        indexed = lambda: self.call("GET", "/collections/live")["result"]["indexed_vectors_count"]
        time.sleep(0.5)  # a couple of optimizer rounds
        self.assertEqual(indexed(), 0)
        self.call("PATCH", "/collections/live", {"optimizers_config": {"indexing_threshold": 10,
                                                                       "max_optimization_threads": 0}})
        time.sleep(0.5)
        self.assertEqual(indexed(), 0, "max_optimization_threads 0: no optimizations")
        info = self.call("GET", "/collections/live", template="/collections/{collection_name}")["result"]
        self.assertEqual(info["config"]["optimizer_config"]["max_optimization_threads"], 0)
        self.call("PATCH", "/collections/live", {"optimizers_config": {"max_optimization_threads": 2}})
        deadline = time.time() + 30
        while indexed() < 1000 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(indexed(), 1000, "indexed with the threshold set by PATCH")
        self.call("DELETE", "/collections/live")

    def test_17_scalar_quantization(self):
        import random
        rng = random.Random(8)
        dim = 64
        self.call("PUT", "/collections/quant", {"vectors": {"size": dim, "distance": "Euclid"},
                                                "optimizers_config": {"indexing_threshold": 20},
                                                "quantization_config": {"scalar": {"type": "int8", "quantile": 0.99}}},
                  template="/collections/{collection_name}")
        pts = [{"id": i, "vector": [rng.gauss(0, 1) for _ in range(dim)]} for i in range(3000)]
        for b in range(0, 3000, 500):  # 500 x 64-d stays under the test server's 1 MiB limit
            self.call("PUT", "/collections/quant/points?wait=true", {"points": pts[b:b + 500]})

        def wait_indexed():
            deadline = time.time() + 60
            while time.time() < deadline:
                info = self.call("GET", "/collections/quant", template="/collections/{collection_name}")["result"]
                if info["indexed_vectors_count"] >= 3000:
                    return info
                time.sleep(0.1)
            self.fail("not indexed in time")
        info = wait_indexed()
        self.assertEqual(info["config"]["quantization_config"]["scalar"]["quantile"], 0.99)
        hit = total = 0
        differs = 0
        for t in range(20):
            q = [rng.gauss(0, 1) for _ in range(dim)]
            exact = self.call("POST", "/collections/quant/points/query",
                              {"query": q, "limit": 10, "params": {"exact": True}})["result"]["points"]
            approx = self.call("POST", "/collections/quant/points/query",
                               {"query": q, "limit": 10,
                                "params": {"quantization": {"rescore": True, "oversampling": 2.0}}},
                               template="/collections/{collection_name}/points/query")["result"]["points"]
            raw = self.call("POST", "/collections/quant/points/query",
                            {"query": q, "limit": 10, "params": {"quantization": {"rescore": False}}})["result"]["points"]
            exact_scores = {p["id"]: p["score"] for p in exact}
            hit += len({p["id"] for p in approx} & set(exact_scores))
            total += 10
            for p in approx:  # rescored: exact distances
                if p["id"] in exact_scores:
                    self.assertAlmostEqual(p["score"], exact_scores[p["id"]], places=3)
            # Without rescoring the scores are the int8 estimates: close, not equal.
            differs += sum(1 for p in raw if p["id"] in exact_scores and abs(p["score"] - exact_scores[p["id"]]) > 1e-4)
        self.assertGreaterEqual(hit / total, 0.9, f"recall@10 with int8 + rescore: {hit / total:.3f}")
        self.assertGreater(differs, 0, "the quantized traversal was used")
        err = self.call("POST", "/collections/quant/points/query",
                        {"query": [0.0] * dim, "params": {"quantization": {"oversampling": 0.5}}}, expect=400)
        self.assertIn("oversampling", err["status"]["error"])
        err = self.call("PATCH", "/collections/quant",
                        {"quantization_config": {"scalar": {"type": "int8", "quantile": 0.2}}}, expect=400)
        self.assertIn("quantization_config.scalar.quantile", err["status"]["error"])
        # Binary quantization: sign bits for the traversal, rescored with oversampling.
        self.call("PATCH", "/collections/quant", {"quantization_config": {"binary": {"always_ram": True}}})
        info = wait_indexed()
        self.assertIn("binary", info["config"]["quantization_config"])
        # On 64-d Gaussian noise sign bits rank poorly (the benchmark reports binary's quality on
        # embeddings); what must hold is the mechanism: rescored scores are the exact ones of the
        # points returned, unrescored ones are Hamming-based.
        differs = 0
        for t in range(10):
            q = [rng.gauss(0, 1) for _ in range(dim)]
            approx = self.call("POST", "/collections/quant/points/query",
                               {"query": q, "limit": 5, "params": {"hnsw_ef": 200,
                                "quantization": {"rescore": True, "oversampling": 20}}})["result"]["points"]
            self.assertEqual(len(approx), 5)
            ids = [p["id"] for p in approx]
            exact_of = {p["id"]: p["score"] for p in self.call(
                "POST", "/collections/quant/points/query",
                {"query": q, "limit": 5, "params": {"exact": True},
                 "filter": {"must": [{"has_id": ids}]}})["result"]["points"]}
            for p in approx:
                self.assertAlmostEqual(p["score"], exact_of[p["id"]], places=3)
            raw = self.call("POST", "/collections/quant/points/query",
                            {"query": q, "limit": 1, "params": {"quantization": {"rescore": False}}})["result"]["points"]
            raw_exact = self.call("POST", "/collections/quant/points/query",
                                  {"query": q, "limit": 1, "params": {"exact": True},
                                   "filter": {"must": [{"has_id": [raw[0]["id"]]}]}})["result"]["points"]
            differs += abs(raw[0]["score"] - raw_exact[0]["score"]) > 1e-3
        self.assertGreater(differs, 0, "without rescore the scores are Hamming-based")

        # Two bits per dimension and a float query against the codes (query_encoding
        # scalar8bits): echoed back; rescored scores exact; unrescored ones now estimate the real
        # score (the distance to the codes' reconstruction) instead of counting bits.
        def raw_errors():
            errs = []
            for t in range(10):
                q = [rng.gauss(0, 1) for _ in range(dim)]
                raw = self.call("POST", "/collections/quant/points/query",
                                {"query": q, "limit": 1, "params": {"quantization": {"rescore": False}}})["result"]["points"]
                exact = self.call("POST", "/collections/quant/points/query",
                                  {"query": q, "limit": 1, "params": {"exact": True},
                                   "filter": {"must": [{"has_id": [raw[0]["id"]]}]}})["result"]["points"]
                errs.append(abs(raw[0]["score"] - exact[0]["score"]))
            return sum(errs) / len(errs)
        hamming_error = raw_errors()
        self.call("PATCH", "/collections/quant", {"quantization_config": {"binary": {
            "encoding": "two_bits", "query_encoding": "scalar8bits"}}})
        info = wait_indexed()
        self.assertEqual(info["config"]["quantization_config"],
                         {"binary": {"encoding": "two_bits", "query_encoding": "scalar8bits"}})
        validate_component(info["config"]["quantization_config"], "QuantizationConfig")
        q = [rng.gauss(0, 1) for _ in range(dim)]
        approx = self.call("POST", "/collections/quant/points/query",
                           {"query": q, "limit": 5, "params": {"hnsw_ef": 200,
                            "quantization": {"rescore": True, "oversampling": 20}}})["result"]["points"]
        exact_of = {p["id"]: p["score"] for p in self.call(
            "POST", "/collections/quant/points/query",
            {"query": q, "limit": 5, "params": {"exact": True},
             "filter": {"must": [{"has_id": [p["id"] for p in approx]}]}})["result"]["points"]}
        for p in approx:
            self.assertAlmostEqual(p["score"], exact_of[p["id"]], places=3)
        asymmetric_error = raw_errors()
        self.assertLess(asymmetric_error, 0.5 * hamming_error, (asymmetric_error, hamming_error))
        err = self.call("PATCH", "/collections/quant",
                        {"quantization_config": {"binary": {"encoding": "three_bits"}}}, expect=400)
        self.assertIn("quantization_config.binary.encoding", err["status"]["error"])
        err = self.call("PATCH", "/collections/quant",
                        {"quantization_config": {"binary": {"query_encoding": 8}}}, expect=400)
        self.assertIn("quantization_config.binary.query_encoding", err["status"]["error"])
        # Turning quantization off rebuilds the index without codes.
        self.call("PATCH", "/collections/quant", {"quantization_config": "Disabled"})
        info = wait_indexed()
        self.assertNotIn("scalar", info["config"].get("quantization_config") or {})
        q = [rng.gauss(0, 1) for _ in range(dim)]
        raw = self.call("POST", "/collections/quant/points/query",
                        {"query": q, "limit": 5, "params": {"quantization": {"rescore": False}}})["result"]["points"]
        exact = self.call("POST", "/collections/quant/points/query",
                          {"query": q, "limit": 5, "params": {"exact": True}})["result"]["points"]
        exact_scores = {p["id"]: p["score"] for p in exact}
        for p in raw:
            if p["id"] in exact_scores:
                self.assertAlmostEqual(p["score"], exact_scores[p["id"]], places=4)

    def test_18_recommend_strategies_discover_and_context(self):
        self.make("disc", size=2, distance="Dot")
        pts = {1: [1, 0], 2: [0, 1], 3: [-1, 0], 4: [0, -1], 5: [0.7, 0.7]}
        self.call("PUT", "/collections/disc/points?wait=true", {"points": [
            {"id": i, "vector": v, "payload": {"half": "up" if v[1] >= 0 else "down"}} for i, v in pts.items()]})

        def query(q, **extra):
            body = dict({"query": q, "limit": 10}, **extra)
            res = self.call("POST", "/collections/disc/points/query", body,
                            template="/collections/{collection_name}/points/query")["result"]["points"]
            return [(p["id"], round(p["score"], 5)) for p in res]

        ssig = lambda x: 0.5 * (x / (1 + abs(x)) + 1)
        # best_score: sigmoid of the best positive similarity when it beats the best negative.
        got = query({"recommend": {"positive": [1], "negative": [3], "strategy": "best_score"}})
        self.assertEqual(got[0], (5, round(ssig(0.7), 5)))
        self.assertEqual(sorted(got[1:]), [(2, -0.5), (4, -0.5)], "examples are excluded")
        # sum_scores: positive similarities minus negative ones.
        got = query({"recommend": {"positive": [1], "negative": [3], "strategy": "sum_scores"}})
        self.assertEqual(got[0], (5, 1.4))
        # negatives only are fine for best_score, not for average_vector.
        got = query({"recommend": {"negative": [5], "strategy": "best_score"}})
        self.assertEqual(sorted(got, key=lambda p: (-p[1], p[0])), [(3, round(-ssig(-0.7), 5)), (4, round(-ssig(-0.7), 5)),
                               (1, round(-ssig(0.7), 5)), (2, round(-ssig(0.7), 5))])
        err = self.call("POST", "/collections/disc/points/query",
                        {"query": {"recommend": {"negative": [5]}}}, expect=400)
        self.assertIn("recommend.positive", err["status"]["error"])
        # discover: +1 per context pair the point sides with, then sigmoid(similarity to target).
        got = query({"discover": {"target": [0, 1], "context": [{"positive": 1, "negative": 3}]}})
        self.assertEqual(got, [(5, round(1 + ssig(0.7), 5)), (2, round(-1 + ssig(1), 5)),
                               (4, round(-1 + ssig(-1), 5))])
        # context: 0 on the positive side of every pair, below 0 elsewhere.
        raw = self.call("POST", "/collections/disc/points/query",
                        {"query": {"context": {"positive": 1, "negative": 3}}})["result"]["points"]
        self.assertEqual((raw[0]["id"], raw[0]["score"]), (5, 0.0))
        self.assertTrue(all(p["score"] < 0 for p in raw[1:]), raw)
        got = query({"context": [{"positive": 1, "negative": 3}, {"positive": 2, "negative": 4}]},
                    filter={"must": [{"key": "half", "match": {"value": "up"}}]})
        self.assertEqual([i for i, _ in got], [5])
        err = self.call("POST", "/collections/disc/points/query",
                        {"query": {"context": [{"positive": 1}]}}, expect=400)
        self.assertIn("query.context[0]", err["status"]["error"])
        # The legacy routes older clients call.
        batch = self.call("POST", "/collections/disc/points/recommend/batch", {"searches": [
            {"positive": [1, 5], "limit": 2},  # mean [0.85, 0.35]: 2 (0.35), then 4 (-0.35)
            {"positive": [1], "negative": [3], "strategy": "sum_scores", "limit": 1}]})["result"]
        self.assertEqual([[p["id"] for p in b] for b in batch], [[2, 4], [5]])
        for b in batch:
            for p in b:
                validate_component(p, "ScoredPoint")
        groups = self.call("POST", "/collections/disc/points/recommend/groups",
                           {"positive": [1], "group_by": "half", "limit": 2, "group_size": 1,
                            "strategy": "best_score"})["result"]["groups"]
        self.assertEqual([(g["id"], [h["id"] for h in g["hits"]]) for g in groups],
                         [("up", [5]), ("down", [4])])
        err = self.call("POST", "/collections/disc/points/recommend/batch",
                        {"searches": [{"positive": [1]}]}, expect=400)
        self.assertIn("searches[0]", err["status"]["error"])

    def test_19_prefetch_fusion_and_order_by(self):
        self.call("PUT", "/collections/hyb", {"vectors": {"a": {"size": 2, "distance": "Dot"},
                                                          "b": {"size": 2, "distance": "Dot"}}})
        import random
        rng = random.Random(19)
        pts = [{"id": i, "vector": {"a": [rng.uniform(-1, 1), rng.uniform(-1, 1)],
                                    "b": [rng.uniform(-1, 1), rng.uniform(-1, 1)]},
                "payload": {"n": i, "even": i % 2 == 0}} for i in range(1, 41)]
        self.call("PUT", "/collections/hyb/points?wait=true", {"points": pts})

        def q(body):
            return self.call("POST", "/collections/hyb/points/query", body,
                             template="/collections/{collection_name}/points/query")["result"]["points"]
        flt = {"must": [{"key": "even", "match": {"value": True}}]}
        la = q({"query": [1, 0.2], "using": "a", "limit": 8, "filter": flt})
        lb = q({"query": [-0.3, 1], "using": "b", "limit": 8, "filter": flt})
        prefetch = [{"query": [1, 0.2], "using": "a", "limit": 8}, {"query": [-0.3, 1], "using": "b", "limit": 8}]
        # RRF: each list adds 1 / (position + 2).
        want = {}
        for lst in (la, lb):
            for pos, p in enumerate(lst):
                want[p["id"]] = want.get(p["id"], 0) + 1 / (pos + 2)
        got = q({"prefetch": prefetch, "query": {"fusion": "rrf"}, "limit": 5, "filter": flt, "with_payload": True})
        self.assertEqual(len(got), 5)
        for p in got:
            self.assertAlmostEqual(p["score"], want[p["id"]], places=5)
            self.assertTrue(p["payload"]["even"], "the top-level filter reaches the prefetches")
        self.assertEqual([round(p["score"], 5) for p in got],
                         sorted((round(v, 5) for v in want.values()), reverse=True)[:5])
        # Weighted rrf with k: 1 / ((position + 1) / weight + k - 1).
        got = q({"prefetch": prefetch, "query": {"rrf": {"k": 10, "weights": [3, 1]}}, "limit": 3, "filter": flt})
        want_w = {}
        for lst, w in ((la, 3), (lb, 1)):
            for pos, p in enumerate(lst):
                want_w[p["id"]] = want_w.get(p["id"], 0) + 1 / ((pos + 1) / w + 9)
        for p in got:
            self.assertAlmostEqual(p["score"], want_w[p["id"]], places=5)
        # DBSF: each list's scores through mean +- 3 sd onto 0..1, summed.
        want_d = {}
        for lst in (la, lb):
            sc = [p["score"] for p in lst]
            mean = sum(sc) / len(sc)
            sd = (sum((x - mean) ** 2 for x in sc) / len(sc)) ** 0.5
            for p in lst:
                want_d[p["id"]] = want_d.get(p["id"], 0) + (p["score"] - (mean - 3 * sd)) / (6 * sd)
        got = q({"prefetch": prefetch, "query": {"fusion": "dbsf"}, "limit": 4, "filter": flt})
        for p in got:
            self.assertAlmostEqual(p["score"], want_d[p["id"]], places=4)
        # A rescoring query over what a prefetch found.
        got = q({"prefetch": {"query": [1, 0.2], "using": "a", "limit": 8}, "query": [-0.3, 1],
                 "using": "b", "limit": 3, "filter": flt})
        found = {p["id"] for p in la}
        every_b = {p["id"]: p["score"] for p in q({"query": [-0.3, 1], "using": "b", "limit": 40})}
        self.assertEqual([p["id"] for p in got],
                         sorted(found, key=lambda i: -every_b[i])[:3])
        # Groups over a fused query: the hits of each group come from the fused list.
        fused = q({"prefetch": prefetch, "query": {"fusion": "rrf"}, "limit": 40, "filter": flt,
                   "with_payload": True})
        groups = self.call("POST", "/collections/hyb/points/query/groups",
                           {"prefetch": prefetch, "query": {"fusion": "rrf"}, "group_by": "n",
                            "limit": 3, "group_size": 1, "filter": flt},
                           template="/collections/{collection_name}/points/query/groups")["result"]["groups"]
        self.assertEqual([g["id"] for g in groups], [p["payload"]["n"] for p in fused[:3]])
        # order_by as a query.
        got = q({"query": {"order_by": {"key": "n", "direction": "desc"}}, "limit": 3})
        self.assertEqual([(p["id"], p["order_value"]) for p in got], [(40, 40), (39, 39), (38, 38)])
        # sample: random points among the filter's matches.
        seen = set()
        for _ in range(10):
            got = q({"query": {"sample": "random"}, "limit": 5, "filter": flt, "with_payload": True})
            self.assertEqual(len({p["id"] for p in got}), 5)
            self.assertTrue(all(p["payload"]["even"] for p in got))
            seen |= {p["id"] for p in got}
        self.assertGreater(len(seen), 8, "different draws")
        got = q({"query": {"sample": "random"}, "limit": 100, "filter": flt})
        self.assertEqual(sorted(p["id"] for p in got), list(range(2, 41, 2)))
        err = self.call("POST", "/collections/hyb/points/query", {"query": {"fusion": "rrf"}}, expect=400)
        self.assertIn("prefetch", err["status"]["error"])
        err = self.call("POST", "/collections/hyb/points/query",
                        {"prefetch": prefetch, "query": {"rrf": {"weights": [1]}}}, expect=400)
        self.assertIn("query.rrf.weights", err["status"]["error"])
        err = self.call("POST", "/collections/hyb/points/query",
                        {"prefetch": [{"query": [1, 0], "using": "zz"}], "query": {"fusion": "rrf"}}, expect=400)
        self.assertIn("prefetch[0]", err["status"]["error"])

    def test_21_sparse_vectors_and_hybrid_queries(self):
        import math
        import random
        self.call("PUT", "/collections/sp", {
            "vectors": {"dense": {"size": 2, "distance": "Dot"}},
            "sparse_vectors": {"text": {"modifier": "idf", "index": {"full_scan_threshold": 5000}},
                               "kw": {}}}, template="/collections/{collection_name}")
        info = self.call("GET", "/collections/sp", template="/collections/{collection_name}")["result"]
        self.assertEqual(info["config"]["params"]["sparse_vectors"],
                         {"text": {"modifier": "idf", "index": {"full_scan_threshold": 5000}}, "kw": {}})
        rng = random.Random(21)
        rows = {}
        pts = []
        for i in range(1, 61):
            dims = sorted(rng.sample(range(40), rng.randint(1, 6)))
            vals = [round(rng.uniform(0.1, 2), 3) for _ in dims]
            rows[i] = dict(zip(dims, vals))
            order = list(range(len(dims)))
            rng.shuffle(order)  # any order in, sorted out
            pts.append({"id": i, "vector": {"dense": [rng.uniform(-1, 1), rng.uniform(-1, 1)],
                                            "text": {"indices": [dims[k] for k in order],
                                                     "values": [vals[k] for k in order]}},
                        "payload": {"even": i % 2 == 0}})
        self.call("PUT", "/collections/sp/points?wait=true", {"points": pts},
                  template="/collections/{collection_name}/points")
        # The batch form carries sparse vectors too.
        self.call("PUT", "/collections/sp/points?wait=true",
                  {"batch": {"ids": [100, 101], "vectors": {"kw": [{"indices": [7], "values": [1.0]},
                                                                   {"indices": [7, 9], "values": [2.0, 1.0]}]}}})
        got = self.call("POST", "/collections/sp/points", {"ids": [1], "with_vector": True},
                        template="/collections/{collection_name}/points")["result"][0]
        self.assertEqual(got["vector"]["text"]["indices"], sorted(rows[1]))
        self.assertEqual(len(got["vector"]["dense"]), 2)

        def q(body):
            return self.call("POST", "/collections/sp/points/query", body,
                             template="/collections/{collection_name}/points/query")["result"]["points"]
        query = {3: 1.0, 17: 0.5, 33: 2.0}
        n = len(rows)
        df = {d: sum(1 for r in rows.values() if d in r) for d in query}
        want = {}
        for i, r in rows.items():
            shared = [d for d in query if d in r]
            if shared:
                want[i] = sum(query[d] * math.log(1 + (n - df[d] + 0.5) / (df[d] + 0.5)) * r[d] for d in shared)
        hits = q({"query": {"indices": list(query), "values": list(query.values())}, "using": "text", "limit": 5})
        self.assertEqual(len(hits), min(5, len(want)))
        for h in hits:
            self.assertAlmostEqual(h["score"], want[h["id"]], places=3)
        self.assertEqual([round(h["score"], 3) for h in hits], sorted((round(v, 3) for v in want.values()), reverse=True)[:5])
        # nearest form, and the legacy search with a named sparse vector.
        again = q({"query": {"nearest": {"indices": list(query), "values": list(query.values())}}, "using": "text",
                   "limit": 5})
        self.assertEqual([h["id"] for h in again], [h["id"] for h in hits])
        legacy = self.call("POST", "/collections/sp/points/search",
                           {"vector": {"name": "text", "vector": {"indices": list(query), "values": list(query.values())}},
                            "limit": 5})["result"]
        self.assertEqual([h["id"] for h in legacy], [h["id"] for h in hits])
        kw = q({"query": {"indices": [7], "values": [1.0]}, "using": "kw", "limit": 5})
        self.assertEqual([(h["id"], h["score"]) for h in kw], [(101, 2.0), (100, 1.0)])
        # Hybrid: dense and sparse prefetches fused with RRF.
        dense_hits = q({"query": [1, 0.5], "using": "dense", "limit": 10})
        sparse_hits = q({"query": {"indices": list(query), "values": list(query.values())}, "using": "text", "limit": 10})
        fused_want = {}
        for lst in (dense_hits, sparse_hits):
            for pos, p in enumerate(lst):
                fused_want[p["id"]] = fused_want.get(p["id"], 0) + 1 / (pos + 2)
        fused = q({"prefetch": [{"query": [1, 0.5], "using": "dense", "limit": 10},
                                {"query": {"indices": list(query), "values": list(query.values())},
                                 "using": "text", "limit": 10}],
                   "query": {"fusion": "rrf"}, "limit": 5})
        for p in fused:
            self.assertAlmostEqual(p["score"], fused_want[p["id"]], places=5)
        # Bad sparse input: 400 naming the problem, nothing written.
        for bad, words in (({"indices": [1, 2], "values": [1.0]}, "as many values"),
                           ({"indices": [4, 4], "values": [1.0, 2.0]}, "unique"),
                           ({"indices": [-1], "values": [1.0]}, "indices[0]"),
                           ({"indices": [1]}, "values")):
            err = self.call("PUT", "/collections/sp/points", {"points": [{"id": 500, "vector": {"text": bad}}]},
                            expect=400)
            self.assertIn(words, err["status"]["error"])
        err = self.call("PUT", "/collections/sp/points", {"points": [{"id": 500, "vector": {"dense": {"indices": [1], "values": [1]}}}]},
                        expect=400)
        self.assertIn("dense", err["status"]["error"])
        self.assertEqual(self.call("POST", "/collections/sp/points/count", {})["result"]["count"], 62)
        # PATCH the modifier: without idf, scores are plain dot products.
        self.call("PATCH", "/collections/sp", {"sparse_vectors": {"text": {"modifier": "none"}}},
                  template="/collections/{collection_name}")
        info = self.call("GET", "/collections/sp", template="/collections/{collection_name}")["result"]
        self.assertEqual(info["config"]["params"]["sparse_vectors"]["text"]["modifier"], "none")
        plain = q({"query": {"indices": list(query), "values": list(query.values())}, "using": "text", "limit": 5})
        for h in plain:
            self.assertAlmostEqual(h["score"], sum(query[d] * rows[h["id"]].get(d, 0) for d in query), places=4)
        err = self.call("PATCH", "/collections/sp", {"sparse_vectors": {"nope": {"modifier": "idf"}}}, expect=400)
        self.assertIn("sparse_vectors_config.nope", err["status"]["error"])

    def download(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.s.port}{path}", timeout=30) as r:
            return r.status, r.headers, r.read()

    def test_22_snapshots(self):
        self.make("snap", 4, "Dot")
        points = [{"id": i, "vector": [i, 1, 0, -i], "payload": {"n": i, "tag": "t%d" % (i % 3)}}
                  for i in range(20)]
        self.call("PUT", "/collections/snap/points?wait=true", {"points": points})
        original = self.call("POST", "/collections/snap/points/scroll",
                             {"limit": 100, "with_payload": True, "with_vector": True})["result"]["points"]
        created = self.call("POST", "/collections/snap/snapshots",
                            template="/collections/{collection_name}/snapshots")["result"]
        name = created["name"]
        self.assertTrue(name.startswith("snap-") and name.endswith(".snapshot"), name)
        self.assertRegex(created["creation_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertRegex(created["checksum"], r"^[0-9a-f]{64}$")
        listed = self.call("GET", "/collections/snap/snapshots",
                           template="/collections/{collection_name}/snapshots")["result"]
        self.assertEqual(listed, [created])
        # Download: the exact bytes (size and SHA-256 as described), as a file.
        status, headers, data = self.download(f"/collections/snap/snapshots/{name}")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertEqual(len(data), created["size"])
        self.assertEqual(hashlib.sha256(data).hexdigest(), created["checksum"])
        with open(os.path.join(self.s.dir, "snapshots", "snap", name), "rb") as f:
            self.assertEqual(f.read(), data)
        self.call("GET", "/collections/snap/snapshots/none.snapshot", expect=404)

        def restored(coll):
            got = self.call("POST", f"/collections/{coll}/points/scroll",
                            {"limit": 100, "with_payload": True, "with_vector": True})["result"]["points"]
            self.assertEqual(got, original)

        # Recover from the file after changes: the snapshot's state comes back.
        self.call("POST", "/collections/snap/points/delete?wait=true", {"points": list(range(10))})
        self.call("PUT", "/collections/snap/points?wait=true",
                  {"points": [{"id": 99, "vector": [1, 1, 1, 1]}]})
        location = "file://" + os.path.join(self.s.dir, "snapshots", "snap", name)
        r = self.call("PUT", "/collections/snap/snapshots/recover",
                      {"location": location, "checksum": created["checksum"], "priority": "snapshot"},
                      template="/collections/{collection_name}/snapshots/recover")
        self.assertIs(r["result"], True)
        restored("snap")

        # Recover from a URL (through a redirect, with the api_key sent along).
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append((self.path, self.headers.get("api-key")))
                if self.path == "/old":
                    self.send_response(302)
                    self.send_header("Location", "/snap.snapshot")
                    self.end_headers()
                elif self.path == "/snap.snapshot":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.send_error(404)

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            base = f"http://127.0.0.1:{httpd.server_address[1]}"
            self.call("PUT", "/collections/snap_http/snapshots/recover",
                      {"location": base + "/old", "api_key": "k-123", "checksum": created["checksum"]})
            restored("snap_http")
            self.assertEqual(seen[:2], [("/old", "k-123"), ("/snap.snapshot", "k-123")])
            missing = self.call("PUT", "/collections/snap_http2/snapshots/recover",
                                {"location": base + "/gone"}, expect=400)
            self.assertIn("404", missing["status"]["error"])
        finally:
            httpd.shutdown()
            httpd.server_close()
        self.call("GET", "/collections/snap_http2", expect=404)

        # Upload (multipart), with the checksum as a query parameter.
        boundary = "strataBoundary7MA4YWxk"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"snapshot\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode() + \
            data + f"\r\n--{boundary}--\r\n".encode()
        ctype = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, r = self.s.request("POST", f"/collections/snap_up/snapshots/upload?checksum={created['checksum']}",
                                   raw=body, headers=ctype)
        self.assertEqual(status, 200, r)
        validate(r, "/collections/{collection_name}/snapshots/upload", "POST")
        self.assertIs(r["result"], True)
        restored("snap_up")
        self.assertEqual(os.listdir(os.path.join(self.s.dir, "snapshots", "snap_up")), [],
                         "the upload is removed after the recovery")

        # Uploads stream into the kernel: a body over max_request_size_mb (1 MiB here) is fine
        # (the archive with a 3 MiB entry the reader skips), one over max_snapshot_upload_mb is
        # refused from its Content-Length alone.
        padded = io.BytesIO()
        with tarfile.open(fileobj=io.BytesIO(data)) as src, \
                tarfile.open(fileobj=padded, mode="w", format=tarfile.USTAR_FORMAT) as dst:
            for member in src.getmembers():
                dst.addfile(member, src.extractfile(member))
            extra = tarfile.TarInfo("padding.bin")
            extra.size = 3 << 20
            dst.addfile(extra, io.BytesIO(os.urandom(extra.size)))
        big = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"snapshot\"; "
               f"filename=\"big\"\r\n\r\n").encode() + padded.getvalue() + f"\r\n--{boundary}--\r\n".encode()
        self.assertGreater(len(big), 3 << 20)
        status, r = self.s.request("POST", "/collections/snap_big/snapshots/upload", raw=big, headers=ctype)
        self.assertEqual(status, 200, r)
        restored("snap_big")
        # A body that breaks off after more than one 8 MiB piece reached the kernel: the partial
        # upload is removed at once (not left for the next start).
        cut = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"snapshot\"; "
               f"filename=\"cut\"\r\n\r\n").encode() + os.urandom(12 << 20)
        sock = socket.create_connection(("127.0.0.1", self.s.port))
        head = (f"POST /collections/snap_cut/snapshots/upload HTTP/1.1\r\nHost: x\r\n"
                f"Content-Type: {ctype['Content-Type']}\r\nContent-Length: {len(cut) + 100}\r\n\r\n")
        sock.sendall(head.encode() + cut)
        time.sleep(0.5)  # the first piece is with the kernel
        sock.close()
        cut_dir = os.path.join(self.s.dir, "snapshots", "snap_cut")
        deadline = time.time() + 10
        while os.path.isdir(cut_dir) and os.listdir(cut_dir) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(cut_dir) if os.path.isdir(cut_dir) else [], [])
        self.call("GET", "/collections/snap_cut", expect=404)
        conn = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=30)
        conn.putrequest("POST", "/collections/snap_huge/snapshots/upload")
        conn.putheader("Content-Type", ctype["Content-Type"])
        conn.putheader("Content-Length", str(5 << 40))
        conn.endheaders()
        resp = conn.getresponse()
        self.assertEqual(resp.status, 413)
        self.assertIn("max_snapshot_upload_mb", json.loads(resp.read())["status"]["error"])
        conn.close()

        # Bad input: wrong checksum, unknown scheme, a body that is not a snapshot, not multipart.
        bad = self.call("PUT", "/collections/snap/snapshots/recover",
                        {"location": location, "checksum": "0" * 64}, expect=400)
        self.assertIn("checksum", bad["status"]["error"])
        bad = self.call("PUT", "/collections/snap/snapshots/recover", {"location": "ftp://x/y"}, expect=400)
        self.assertIn("location", bad["status"]["error"])
        self.call("PUT", "/collections/snap/snapshots/recover", {"checksum": "x"}, expect=400)
        outside = self.call("PUT", "/collections/snap/snapshots/recover",
                            {"location": "file:///etc/passwd"}, expect=400)
        self.assertIn("outside the snapshots directory", outside["status"]["error"])
        junk = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"snapshot\"; filename=\"x\"\r\n\r\n"
                f"not a tar archive\r\n--{boundary}--\r\n").encode()
        status, r = self.s.request("POST", "/collections/snap/snapshots/upload", raw=junk, headers=ctype)
        self.assertEqual(status, 400, r)
        self.assertIn("tar", r["status"]["error"])
        status, r = self.s.request("POST", "/collections/snap/snapshots/upload", raw=b"{}")
        self.assertEqual(status, 400, r)
        self.assertIn("multipart", r["status"]["error"])
        restored("snap")  # none of the refusals touched it

        # wait=false answers 202 and the snapshot appears; delete; full snapshots are 501.
        status, r = self.s.request("POST", "/collections/snap/snapshots?wait=false")
        self.assertEqual(status, 202, r)
        self.assertEqual(r["status"], "accepted")
        deadline = time.time() + 10
        while len(self.call("GET", "/collections/snap/snapshots")["result"]) < 2 and time.time() < deadline:
            time.sleep(0.05)
        names = [d["name"] for d in self.call("GET", "/collections/snap/snapshots")["result"]]
        self.assertEqual(len(names), 2)
        for n in names:
            r = self.call("DELETE", f"/collections/snap/snapshots/{n}",
                          template="/collections/{collection_name}/snapshots/{snapshot_name}")
            self.assertIs(r["result"], True)
        self.assertEqual(self.call("GET", "/collections/snap/snapshots")["result"], [])
        self.call("DELETE", f"/collections/snap/snapshots/{name}", expect=404)
        self.call("POST", "/collections/nope/snapshots", expect=404)

    def test_24_full_snapshots(self):
        """Every collection and alias in one archive; a new server recovers it at start."""
        self.make("full_a", 4, "Dot")
        self.make("full_b", 2, "Euclid")
        self.call("PUT", "/collections/full_a/points?wait=true",
                  {"points": [{"id": i, "vector": [i, 1, 0, 2], "payload": {"k": i}} for i in range(30)]})
        self.call("PUT", "/collections/full_b/points?wait=true",
                  {"points": [{"id": i, "vector": [1, i]} for i in range(12)]})
        self.call("POST", "/collections/aliases",
                  {"actions": [{"create_alias": {"collection_name": "full_a", "alias_name": "full_live"}}]})
        created = self.call("POST", "/snapshots", template="/snapshots")["result"]
        self.assertTrue(created["name"].startswith("full-snapshot-"), created)
        listed = self.call("GET", "/snapshots", template="/snapshots")["result"]
        self.assertIn(created, listed)
        status, headers, data = self.download(f"/snapshots/{created['name']}")
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(data).hexdigest(), created["checksum"])
        names = tarfile.open(fileobj=io.BytesIO(data)).getnames()
        self.assertIn("collections/full_a.snapshot", names)
        self.assertIn("aliases.meta", names)
        before = {c: self.call("POST", f"/collections/{c}/points/scroll",
                               {"limit": 100, "with_payload": True, "with_vector": True})["result"]["points"]
                  for c in ("full_a", "full_b")}
        # A fresh server started on the archive serves the same collections and alias.
        path = os.path.join(self.s.dir, "snapshots", created["name"])
        other = Server(args=("--storage-snapshot", path))
        try:
            for c in ("full_a", "full_b"):
                status, r = other.request("POST", f"/collections/{c}/points/scroll",
                                          {"limit": 100, "with_payload": True, "with_vector": True})
                self.assertEqual(status, 200, r)
                self.assertEqual(r["result"]["points"], before[c])
            status, r = other.request("GET", "/collections/full_live")
            self.assertEqual(status, 200, r)
            self.assertEqual(r["result"]["points_count"], 30)
        finally:
            other.stop()
        # A server asked to recover something that is not a full snapshot refuses to start.
        with self.assertRaises(RuntimeError):
            Server(args=("--storage-snapshot", os.path.join(self.s.dir, "log")))
        r = self.call("DELETE", f"/snapshots/{created['name']}",
                      template="/snapshots/{snapshot_name}")
        self.assertIs(r["result"], True)
        self.call("GET", f"/snapshots/{created['name']}", expect=404)

    def test_12_telemetry_and_cluster(self):
        tel = self.call("GET", "/telemetry", template="/telemetry")["result"]
        self.assertEqual(tel["app"]["name"], "strata")
        self.assertEqual(tel["app"]["version"], "1.19.0")
        self.assertGreaterEqual(tel["collections"]["number_of_collections"], 0)
        self.assertRegex(tel["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.call("GET", "/collections")
        self.call("GET", "/collections/none-such", expect=404)
        tel = self.call("GET", "/telemetry", template="/telemetry")["result"]
        listed = tel["requests"]["rest"]["responses"]["GET /collections"]["200"]
        self.assertGreaterEqual(listed["count"], 1)
        self.assertLessEqual(listed["min_duration_micros"], listed["max_duration_micros"])
        self.assertGreater(listed["total_duration_micros"], 0)
        missing = tel["requests"]["rest"]["responses"]["GET /collections/{collection_name}"]["404"]
        self.assertGreaterEqual(missing["count"], 1)
        cluster = self.call("GET", "/cluster", template="/cluster")["result"]
        self.assertEqual(cluster, {"status": "disabled"})

    def test_13_groups(self):
        self.make("grp", distance="Euclid")
        self.call("PUT", "/collections/grp/points?wait=true", {"points": [
            {"id": i, "vector": [i, 0, 0, 0], "payload": {"doc": f"d{i % 5}", "n": i}} for i in range(40)]})
        res = self.call("POST", "/collections/grp/points/query/groups",
                        {"query": [0, 0, 0, 0], "group_by": "doc", "group_size": 2, "limit": 3, "with_payload": True},
                        template="/collections/{collection_name}/points/query/groups")["result"]["groups"]
        self.assertEqual([g["id"] for g in res], ["d0", "d1", "d2"], "groups ordered by their best hit")
        self.assertEqual([[h["id"] for h in g["hits"]] for g in res], [[0, 5], [1, 6], [2, 7]])
        self.assertEqual(res[0]["hits"][0]["payload"]["doc"], "d0")
        legacy = self.call("POST", "/collections/grp/points/search/groups",
                           {"vector": [39, 0, 0, 0], "group_by": "n", "group_size": 1, "limit": 2})["result"]["groups"]
        self.assertEqual([g["id"] for g in legacy], [39, 38], "integer group ids")
        self.call("POST", "/collections/grp/points/query/groups", {"query": [0, 0, 0, 0]}, expect=400)

    def test_20_groups_with_lookup(self):
        self.make("lk_chunks")
        self.make("lk_docs", size=2)
        self.call("PUT", "/collections/lk_docs/points?wait=true", {"points": [
            {"id": 1, "vector": [1, 0], "payload": {"title": "one"}},
            {"id": 2, "vector": [0, 1], "payload": {"title": "two"}}]})
        self.call("PUT", "/collections/lk_chunks/points?wait=true", {"points": [
            {"id": i, "vector": [1, i, 0, 0], "payload": {"doc": 1 + i % 3}} for i in range(9)]})
        res = self.call("POST", "/collections/lk_chunks/points/query/groups",
                        {"query": [1, 1, 0, 0], "group_by": "doc", "limit": 3, "group_size": 2,
                         "with_lookup": {"collection": "lk_docs", "with_payload": ["title"], "with_vectors": True}},
                        template="/collections/{collection_name}/points/query/groups")["result"]["groups"]
        by_id = {g["id"]: g for g in res}
        self.assertEqual(set(by_id), {1, 2, 3})
        self.assertEqual(by_id[1]["lookup"]["payload"], {"title": "one"})
        self.assertEqual(by_id[1]["lookup"]["vector"], [1, 0])
        self.assertEqual(by_id[2]["lookup"]["id"], 2)
        self.assertNotIn("lookup", by_id[3], "no document 3: no lookup")
        res = self.call("POST", "/collections/lk_chunks/points/query/groups",
                        {"query": [1, -1, 0, 0], "group_by": "doc", "limit": 1, "group_size": 1,
                         "with_lookup": "lk_docs"})["result"]["groups"]  # best: chunk 0 of doc 1
        self.assertIn("title", res[0]["lookup"]["payload"])
        self.assertIsNone(res[0]["lookup"]["vector"])
        err = self.call("POST", "/collections/lk_chunks/points/query/groups",
                        {"query": [1, 1, 0, 0], "group_by": "doc", "with_lookup": "nope"}, expect=404)
        self.assertIn("nope", err["status"]["error"])

    def test_14_facet(self):
        self.make("fac")
        self.call("PUT", "/collections/fac/points?wait=true", {"points": [
            {"id": i, "vector": [1, 0, 0, 0], "payload": {"color": ["red", "red"] if i < 7 else "blue",
                                                          "size": i % 3, "ok": i % 2 == 0}} for i in range(10)]})
        hits = self.call("POST", "/collections/fac/facet", {"key": "color"},
                         template="/collections/{collection_name}/facet")["result"]["hits"]
        self.assertEqual(hits, [{"value": "red", "count": 7}, {"value": "blue", "count": 3}])
        hits = self.call("POST", "/collections/fac/facet",
                         {"key": "size", "limit": 1, "filter": {"must": [{"key": "ok", "match": {"value": True}}]}},
                         template="/collections/{collection_name}/facet")["result"]["hits"]
        self.assertEqual(hits, [{"value": 0, "count": 2}], "ids 0,2,4,6,8 -> sizes 0,2,1,0,2; tie broken by value")
        hits = self.call("POST", "/collections/fac/facet", {"key": "ok"})["result"]["hits"]
        self.assertEqual(hits, [{"value": False, "count": 5}, {"value": True, "count": 5}])
        err = self.call("POST", "/collections/fac/facet", {"limit": 3}, expect=400)
        self.assertIn("key", err["status"]["error"])
        self.call("POST", "/collections/fac/facet", {"key": "color", "limit": 0}, expect=400)
        self.call("POST", "/collections/nope/facet", {"key": "color"}, expect=404)

    def test_15_expect_continue_and_streamed_bodies(self):
        import socket
        self.make("cont")

        def send_head(sock, length, expect):
            head = (f"PUT /collections/cont/points?wait=true HTTP/1.1\r\nHost: x\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {length}\r\n")
            if expect:
                head += "Expect: 100-continue\r\n"
            sock.sendall((head + "\r\n").encode())

        def read_response(sock):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            m = re.search(rb"Content-Length: (\d+)", head, re.I)
            n = int(m.group(1)) if m else 0
            while len(rest) < n:
                rest += sock.recv(65536)
            return head.decode(), rest[:n]

        body = json.dumps({"points": [{"id": i, "vector": [1, 2, 3, i]} for i in range(3)]}).encode()
        with socket.create_connection(("127.0.0.1", self.s.port), timeout=10) as sock:
            send_head(sock, len(body), expect=True)
            interim = sock.recv(4096).decode()
            self.assertTrue(interim.startswith("HTTP/1.1 100 Continue"), interim)
            sock.sendall(body)
            head, payload = read_response(sock)
            self.assertTrue(head.startswith("HTTP/1.1 200"), head)
            validate(json.loads(payload), "/collections/{collection_name}/points", "PUT")
        # Too large for max_request_size_mb (1 MiB here): refused before the body is sent.
        with socket.create_connection(("127.0.0.1", self.s.port), timeout=10) as sock:
            send_head(sock, 3 << 20, expect=True)
            head, payload = read_response(sock)
            self.assertTrue(head.startswith("HTTP/1.1 413"), head)
            self.assertIn("max_request_size_mb", json.loads(payload)["status"]["error"])
        def send_trickling(sock, payload):
            send_head(sock, len(payload), expect=False)
            for at in range(0, len(payload), 50000):
                sock.sendall(payload[at:at + 50000])
                time.sleep(0.005)

        # A large body trickling in over many reads, then a second request on the same connection.
        big = json.dumps({"points": [{"id": 100 + i, "vector": [0.5, 0.25, 0.125, i / 7.0],
                                      "payload": {"pad": "y" * 200}} for i in range(2000)]}).encode()
        with socket.create_connection(("127.0.0.1", self.s.port), timeout=10) as sock:
            send_trickling(sock, big)
            head, payload = read_response(sock)
            self.assertTrue(head.startswith("HTTP/1.1 200"), head)
            send_head(sock, len(body), expect=False)
            sock.sendall(body)
            head, payload = read_response(sock)
            self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        self.assertEqual(self.call("POST", "/collections/cont/points/count", {})["result"]["count"], 2003)
        got = self.call("GET", "/collections/cont/points/1999")["result"]
        self.assertEqual(got["payload"]["pad"], "y" * 200)
        for have, want in zip(got["vector"], [0.5, 0.25, 0.125, 1899 / 7.0]):
            self.assertAlmostEqual(have, want, places=3)
        # Every point of the trickled body (decoded while it arrived) as sent.
        pts = self.call("POST", "/collections/cont/points/scroll",
                        {"limit": 3000, "with_vector": True, "with_payload": False})["result"]["points"]
        by_id = {p["id"]: p["vector"] for p in pts}
        for i in range(2000):
            want = [0.5, 0.25, 0.125, i / 7.0]
            self.assertEqual(len(by_id[100 + i]), 4)
            for have, w in zip(by_id[100 + i], want):
                self.assertAlmostEqual(have, w, places=4, msg=f"point {100 + i}")

        # Broken in its middle, seen only after part of it was decoded: a 400 naming the
        # problem, and none of its points written.
        def trickle(payload):
            with socket.create_connection(("127.0.0.1", self.s.port), timeout=10) as sock:
                send_trickling(sock, payload)
                head, answer = read_response(sock)
                return int(head.split()[1]), json.loads(answer)

        points = [{"id": 5000 + i, "vector": [0.5, 0.25, 0.125, i / 7.0], "payload": {"pad": "z" * 200}}
                  for i in range(2000)]
        text = json.dumps({"points": points})
        cut = text.index('{"id": 6500')
        status, answer = trickle((text[:cut] + "@" + text[cut:]).encode())
        self.assertEqual(status, 400, answer)
        self.assertIn("Format error", answer["status"]["error"])
        points[1500]["id"] = -3
        status, answer = trickle(json.dumps({"points": points}).encode())
        self.assertEqual(status, 400, answer)
        self.assertIn("id", answer["status"]["error"])
        self.assertEqual(self.call("POST", "/collections/cont/points/count", {})["result"]["count"], 2003)

    def test_16_payload_indexes_answer_like_a_scan(self):
        self.make("pidx")
        pts = [{"id": i, "vector": [1, i % 5, 0, 1], "payload": {
            "color": ["red", "green", "blue"][i % 3], "n": i, "price": i * 0.5, "ok": i % 2 == 0,
            "text": f"word{i % 4} common", "when": f"2024-01-{1 + i % 28:02d}T00:00:00Z",
            "loc": {"lat": 10 + i % 10, "lon": 20 + i % 7}}} for i in range(300)]
        self.call("PUT", "/collections/pidx/points?wait=true", {"points": pts})
        filters = [
            {"must": [{"key": "color", "match": {"value": "red"}}]},
            {"must": [{"key": "color", "match": {"any": ["red", "blue"]}}, {"key": "n", "range": {"gte": 100}}]},
            {"must": [{"key": "n", "range": {"gt": 10, "lt": 20}}]},
            {"must": [{"key": "price", "range": {"lte": 3}}]},
            {"must": [{"key": "ok", "match": {"value": True}}]},
            {"must": [{"key": "text", "match": {"text": "word1"}}]},
            {"must": [{"key": "when", "range": {"gte": "2024-01-10T00:00:00Z", "lt": "2024-01-12T00:00:00Z"}}]},
            {"must": [{"key": "loc", "geo_radius": {"center": {"lat": 12, "lon": 22}, "radius": 200000}}]},
            {"should": [{"key": "color", "match": {"value": "green"}}, {"has_id": [1, 2, 3]}]},
        ]
        def answers():
            out = []
            for f in filters:
                count = self.call("POST", "/collections/pidx/points/count", {"filter": f, "exact": True})["result"]["count"]
                hits = self.call("POST", "/collections/pidx/points/query",
                                 {"query": [1, 2, 0, 1], "filter": f, "limit": 20})["result"]["points"]
                scroll = self.call("POST", "/collections/pidx/points/scroll", {"filter": f, "limit": 500})["result"]["points"]
                out.append((count, sorted((h["id"], round(h["score"], 4)) for h in hits), [p["id"] for p in scroll]))
            return out
        before = answers()
        for field, schema in [("color", "keyword"), ("n", "integer"), ("price", "float"), ("ok", "bool"),
                              ("text", "text"), ("when", "datetime"), ("loc", "geo")]:
            self.call("PUT", "/collections/pidx/index?wait=true", {"field_name": field, "field_schema": schema},
                      template="/collections/{collection_name}/index")
        info = self.call("GET", "/collections/pidx", template="/collections/{collection_name}")["result"]
        self.assertEqual({k: v["points"] for k, v in info["payload_schema"].items()},
                         {k: 300 for k in ["color", "n", "price", "ok", "text", "when", "loc"]})
        self.assertEqual(answers(), before)
        self.assertTrue(all(b[0] > 0 for b in before), before)
        # Index parameters: the object form, and a refusal naming the field.
        self.call("PUT", "/collections/pidx/index?wait=true",
                  {"field_name": "n", "field_schema": {"type": "integer", "lookup": True, "range": False}})
        self.call("PUT", "/collections/pidx/index?wait=true",
                  {"field_name": "text", "field_schema": {"type": "text", "tokenizer": "word", "lowercase": True}})
        self.assertEqual(answers(), before)
        schema = self.call("GET", "/collections/pidx", template="/collections/{collection_name}")["result"]["payload_schema"]
        self.assertEqual(schema["n"]["params"], {"type": "integer", "lookup": True, "range": False})
        self.assertEqual(schema["text"]["params"], {"type": "text", "tokenizer": "word", "lowercase": True})
        err = self.call("PUT", "/collections/pidx/index?wait=true",
                        {"field_name": "n", "field_schema": {"type": "integer", "lookup": "yes"}}, expect=400)
        self.assertIn("field_schema.lookup", err["status"]["error"])
        err = self.call("PUT", "/collections/pidx/index?wait=true",
                        {"field_name": "n", "field_schema": {"type": "integer", "lookup": False, "range": False}},
                        expect=400)
        self.assertIn("integer_index_params", err["status"]["error"])

    def test_26_strict_mode(self):
        """strict_mode_config is parsed, echoed, merged by PATCH and enforced when enabled."""
        self.call("PUT", "/collections/strict", {
            "vectors": {"size": 2, "distance": "Dot"},
            "strict_mode_config": {"enabled": True, "unindexed_filtering_retrieve": False,
                                   "unindexed_filtering_update": False, "max_query_limit": 5,
                                   "upsert_max_batchsize": 3, "search_allow_exact": False,
                                   "max_points_count": 3, "max_payload_index_count": 1}},
            template="/collections/{collection_name}")
        info = self.call("GET", "/collections/strict", template="/collections/{collection_name}")
        sm = info["result"]["config"]["strict_mode_config"]
        self.assertEqual(sm, {"enabled": True, "unindexed_filtering_retrieve": False,
                              "unindexed_filtering_update": False, "max_query_limit": 5,
                              "upsert_max_batchsize": 3, "search_allow_exact": False,
                              "max_points_count": 3, "max_payload_index_count": 1})
        points = [{"id": i, "vector": [1.0, float(i)], "payload": {"city": "A" if i % 2 else "B"}}
                  for i in range(4)]
        bad = self.call("PUT", "/collections/strict/points?wait=true", {"points": points}, expect=400)
        self.assertIn("upsert_max_batchsize", bad["status"]["error"])
        self.assertEqual(self.call("POST", "/collections/strict/points/count", {})["result"]["count"], 0)
        self.call("PUT", "/collections/strict/points?wait=true", {"points": points[:3]})
        city = {"must": [{"key": "city", "match": {"value": "A"}}]}
        bad = self.call("POST", "/collections/strict/points/scroll", {"filter": city}, expect=400)
        self.assertIn('Index required but not found for "city"', bad["status"]["error"])
        bad = self.call("POST", "/collections/strict/points/delete?wait=true", {"filter": city},
                        expect=400)
        self.assertIn('"city"', bad["status"]["error"])
        self.assertEqual(self.call("POST", "/collections/strict/points/count", {})["result"]["count"], 3)
        self.call("PUT", "/collections/strict/index?wait=true", {"field_name": "city", "field_schema": "keyword"})
        bad = self.call("PUT", "/collections/strict/index?wait=true",
                        {"field_name": "other", "field_schema": "keyword"}, expect=400)
        self.assertIn("max_payload_index_count", bad["status"]["error"])
        bad = self.call("PUT", "/collections/strict/points?wait=true", {"points": points[3:]},
                        expect=400)
        self.assertIn("max_points_count", bad["status"]["error"])
        self.assertEqual(self.call("POST", "/collections/strict/points/count", {})["result"]["count"], 3)
        got = self.call("POST", "/collections/strict/points/scroll", {"filter": city})["result"]["points"]
        self.assertEqual([p["id"] for p in got], [1])
        bad = self.call("POST", "/collections/strict/points/query", {"query": [1, 0], "limit": 10},
                        expect=400)
        self.assertIn("max_query_limit", bad["status"]["error"])
        bad = self.call("POST", "/collections/strict/points/query",
                        {"query": [1, 0], "limit": 2, "params": {"exact": True}}, expect=400)
        self.assertIn("exact", bad["status"]["error"])
        # A prefetch's filter is checked too.
        bad = self.call("POST", "/collections/strict/points/query", {
            "prefetch": {"query": [1, 0], "filter": {"must": [{"key": "other", "match": {"value": 1}}]}},
            "query": {"fusion": "rrf"}, "limit": 2}, expect=400)
        self.assertIn('"other"', bad["status"]["error"])
        self.assertEqual(len(self.call("POST", "/collections/strict/points/query",
                                       {"query": [1, 0], "limit": 5})["result"]["points"]), 3)
        # PATCH changes the named limits only; disabling lifts them.
        self.call("PATCH", "/collections/strict", {"strict_mode_config": {"max_query_limit": 50}})
        sm = self.call("GET", "/collections/strict")["result"]["config"]["strict_mode_config"]
        self.assertEqual((sm["max_query_limit"], sm["upsert_max_batchsize"]), (50, 3))
        self.call("POST", "/collections/strict/points/query", {"query": [1, 0], "limit": 10})
        self.call("PATCH", "/collections/strict", {"strict_mode_config": {"enabled": False}})
        self.call("POST", "/collections/strict/points/scroll",
                  {"filter": {"must": [{"key": "other", "match": {"value": 1}}]}})
        bad = self.call("PUT", "/collections/strict2", {"vectors": {"size": 2, "distance": "Dot"},
                        "strict_mode_config": {"max_query_limit": "many"}}, expect=400)
        self.assertIn("strict_mode_config.max_query_limit", bad["status"]["error"])
        self.call("DELETE", "/collections/strict")

    def test_07_metrics(self):
        status, text = self.s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('app_info{name="strata",version="1.19.0"} 1', text)
        m = re.search(r"^collections_total (\d+)$", text, re.M)
        self.assertIsNotNone(m, text)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertRegex(text, r'rest_responses_total\{method="PUT",endpoint="/collections/\{collection_name\}",status="200"\} \d+')
        self.assertIn('rest_responses_duration_seconds_bucket{method="GET",endpoint="/collections/{collection_name}",status="404",le="+Inf"}', text)

        # The accelerated upserts' cost: bytes decoded, decode and kernel seconds, all growing
        # with an upsert (and not with one the general path reads).
        def costs():
            body = self.s.request("GET", "/metrics")[1]
            return [float(re.search(rf"^{name} ([0-9.e+-]+)$", body, re.M).group(1))
                    for name in ("rest_upsert_body_bytes_total", "rest_upsert_decode_seconds_total",
                                 "rest_upsert_kernel_seconds_total")]
        self.make("costs")
        before = costs()
        upsert = {"points": [{"id": i, "vector": [0.1, 0.2, 0.3, i]} for i in range(50)]}
        self.call("PUT", "/collections/costs/points?wait=true", upsert)
        after = costs()
        self.assertEqual(after[0] - before[0], len(json.dumps(upsert)))
        self.assertGreater(after[1], before[1])
        self.assertGreater(after[2], before[2])
        self.call("PUT", "/collections/costs/points?wait=true",
                  {"batch": {"ids": [1], "vectors": [[1, 2, 3, 4]]}})
        self.assertEqual(costs()[0], after[0])

    def test_06_bad_input(self):
        self.make("bad")
        err = self.call("PUT", "/collections/bad/points", raw=b'{"points": [', expect=400)
        self.assertIn("Format error in JSON body", err["status"]["error"])
        err = self.call("PUT", "/collections/bad/points", {"points": [{"id": 1, "vector": [1, 2]}]}, expect=400)
        self.assertIn("expected 4, got 2", err["status"]["error"])
        err = self.call("PUT", "/collections/bad/points", {"points": [{"id": -5, "vector": [1, 2, 3, 4]}]}, expect=400)
        self.assertIn("points[0].id", err["status"]["error"])
        err = self.call("PUT", "/collections/x", {"vectors": {"size": 4, "distance": "Cosinus"}}, expect=400)
        self.assertIn("vectors.distance", err["status"]["error"])
        err = self.call("POST", "/collections/bad/points/count", {"filter": {"must": [{"key": "a"}]}}, expect=400)
        self.assertIn("filter.must[0]", err["status"]["error"])
        err = self.call("POST", "/collections/bad/points/scroll", {"limit": 0}, expect=400)
        self.assertIn("limit", err["status"]["error"])
        big = {"points": [{"id": 1, "vector": [1, 2, 3, 4], "payload": {"blob": "x" * (2 << 20)}}]}
        status, _ = self.s.request("PUT", "/collections/bad/points", big)
        self.assertEqual(status, 413)
        self.assertEqual(self.call("POST", "/collections/bad/points/count", {})["result"]["count"], 0,
                         "nothing was written by the rejected requests")
        self.call("GET", "/no/such/route", expect=404)


class SavedIndexTest(unittest.TestCase):
    def test_29_tenant_links_survive_a_kill(self):
        """Points moved into a linked tenant just before a SIGKILL are found through that
        tenant's filter after the restart (the saved index's linked_seq says they were written
        after their links), before and after the optimizer relinks them."""
        import random
        rng = random.Random(29)
        s = Server()
        try:
            def req(method, path, body=None, expect=200):
                status, resp = s.request(method, path, body)
                self.assertEqual(status, expect, f"{method} {path}: {resp}")
                return resp
            dim = 16
            req("PUT", "/collections/tl", {"vectors": {"size": dim, "distance": "Euclid"},
                                           "optimizers_config": {"indexing_threshold": 20},
                                           "hnsw_config": {"full_scan_threshold": 1, "m": 8}})
            req("PUT", "/collections/tl/index?wait=true", {"field_name": "tenant", "field_schema": "keyword"})
            pts = [{"id": i, "vector": [rng.gauss(0, 1) for _ in range(dim)],
                    "payload": {"tenant": "t%d" % rng.randrange(40)}} for i in range(3000)]
            req("PUT", "/collections/tl/points?wait=true", {"points": pts[:1500]})
            req("PUT", "/collections/tl/points?wait=true", {"points": pts[1500:]})

            def wait_log(text, server, timeout=60):
                deadline = time.time() + timeout
                while text not in server.log_text() and time.time() < deadline:
                    time.sleep(0.05)
                self.assertIn(text, server.log_text())
            wait_log("payload links now cover 3000 points", s)
            # t0 then holds under 5% of the points: searched by walking its own links.
            moved = [p["id"] for p in pts if p["payload"]["tenant"] != "t0"][:40]
            req("POST", "/collections/tl/points/payload?wait=true", {"payload": {"tenant": "t0"}, "points": moved})
            s.kill()  # before the optimizer's next round (it waits for 0.5 s without writes)
            self.assertNotIn("40 relinked", s.log_text())
            s = Server(dir=s.dir)

            def found_moved():
                n = 0
                for i in moved:
                    body = {"query": pts[i]["vector"], "limit": 1,
                            "filter": {"must": [{"key": "tenant", "match": {"value": "t0"}}]}}
                    got = req("POST", "/collections/tl/points/query", body)["result"]["points"]
                    n += 1 if got and got[0]["id"] == i else 0
                return n
            deadline = time.time() + 60
            while req("GET", "/collections/tl")["result"]["indexed_vectors_count"] < 3000 and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(found_moved(), 40, "found after the restart, before any relink")
            wait_log("payload links now cover 3000 points", s)
            self.assertEqual(found_moved(), 40, "found through t0's links")
        finally:
            s.stop()

    def test_25_payload_storage_on_disk_and_in_memory(self):
        """payload.memory (and the deprecated on_disk_payload): cold keeps payloads in the
        collection's LevelDB store, cached in memory; PATCH moves them; a kill loses nothing."""
        s = Server()
        try:
            def req(method, path, body=None, expect=200):
                status, resp = s.request(method, path, body)
                self.assertEqual(status, expect, f"{method} {path}: {resp}")
                if expect == 200 and path.count("/") == 2:  # collection routes: spec-checked
                    validate(resp, "/collections/{collection_name}", method)
                return resp
            store = lambda c: os.path.join(s.dir, "storage", "collections", c, "0", "payloads")
            req("PUT", "/collections/cold", {"vectors": {"size": 2, "distance": "Dot"}})
            req("PUT", "/collections/cached", {"vectors": {"size": 2, "distance": "Dot"},
                                               "payload": {"memory": "cached"}})
            req("PUT", "/collections/legacy", {"vectors": {"size": 2, "distance": "Dot"},
                                               "on_disk_payload": False})
            params = lambda c: req("GET", f"/collections/{c}")["result"]["config"]["params"]
            self.assertEqual((params("cold")["on_disk_payload"], params("cold")["payload"]), (True, {"memory": "cold"}))
            self.assertEqual((params("cached")["on_disk_payload"], params("cached")["payload"]),
                             (False, {"memory": "cached"}))
            self.assertEqual(params("legacy")["payload"], {"memory": "cached"})
            self.assertTrue(os.path.isdir(store("cold")))
            self.assertFalse(os.path.exists(store("cached")))
            bad = req("PUT", "/collections/pinned", {"vectors": {"size": 2, "distance": "Dot"},
                                                     "payload": {"memory": "pinned"}}, expect=400)
            self.assertIn("payload.memory", bad["status"]["error"])
            bad = req("PUT", "/collections/warm", {"vectors": {"size": 2, "distance": "Dot"},
                                                   "payload": {"memory": "warm"}}, expect=400)
            self.assertIn("payload.memory", bad["status"]["error"])
            self.assertEqual(s.request("GET", "/collections/pinned")[0], 404)

            for c in ("cold", "cached"):
                req("PUT", f"/collections/{c}/points?wait=true", {"points": [
                    {"id": i, "vector": [1.0, float(i)], "payload": {"g": i % 3, "name": f"p{i}", "n": {"x": i}}}
                    for i in range(30)]})
                req("POST", f"/collections/{c}/points/payload?wait=true",
                    {"payload": {"tag": "two"}, "filter": {"must": [{"key": "g", "match": {"value": 2}}]}})
                req("POST", f"/collections/{c}/points/delete?wait=true",
                    {"filter": {"must": [{"key": "g", "match": {"value": 0}}]}})

            def answers(c):
                scroll = req("POST", f"/collections/{c}/points/scroll",
                             {"limit": 100, "with_payload": True,
                              "filter": {"must": [{"key": "n.x", "range": {"gte": 5}}]}})["result"]["points"]
                count = req("POST", f"/collections/{c}/points/count",
                            {"filter": {"must": [{"key": "tag", "match": {"value": "two"}}]}})["result"]["count"]
                return [(p["id"], p["payload"]) for p in scroll], count
            cold = answers("cold")
            self.assertEqual(cold, answers("cached"))
            self.assertEqual(cold[1], 10)
            self.assertEqual(len(cold[0]), 17)  # ids 5..29 without the multiples of 3
            self.assertEqual(cold[0][0], (5, {"g": 2, "name": "p5", "n": {"x": 5}, "tag": "two"}))

            req("PATCH", "/collections/cold", {"params": {"payload": {"memory": "cached"}}})
            self.assertFalse(os.path.exists(store("cold")), "the store goes with the payloads")
            self.assertEqual(params("cold")["payload"], {"memory": "cached"})
            self.assertEqual(answers("cold"), cold)
            req("PATCH", "/collections/cold", {"params": {"on_disk_payload": True}})
            self.assertTrue(os.path.isdir(store("cold")))
            self.assertEqual(params("cold")["payload"], {"memory": "cold"})
            bad = req("PATCH", "/collections/cold", {"params": {"payload": {"memory": "pinned"}}}, expect=400)
            self.assertIn("payload.memory", bad["status"]["error"])
            self.assertEqual(params("cold")["payload"], {"memory": "cold"}, "a refused PATCH changes nothing")
            req("POST", "/collections/cold/points/payload?wait=true",
                {"payload": {"late": True}, "points": [1, 2]})
            s.kill()
            s = Server(dir=s.dir)
            after = answers("cold")
            self.assertEqual(after[1], cold[1])
            self.assertEqual([i for i, _ in after[0]], [i for i, _ in cold[0]])
            late = req("POST", "/collections/cold/points", {"ids": [1, 2], "with_payload": ["late"]})["result"]
            self.assertEqual([p["payload"] for p in late], [{"late": True}, {"late": True}])
        finally:
            self.assertEqual(s.stop(), 0)

    def test_a_killed_server_loads_its_saved_hnsw_index(self):
        import random
        rng = random.Random(21)
        dim = 32
        s = Server()
        try:
            # memory cold: the saved graph is searched from a mapping of its file.
            s.request("PUT", "/collections/keep", {"vectors": {"size": dim, "distance": "Cosine"},
                                                   "hnsw_config": {"memory": "cold"},
                                                   "optimizers_config": {"indexing_threshold": 20}})
            hnsw = s.request("GET", "/collections/keep")[1]["result"]["config"]["hnsw_config"]
            self.assertEqual(hnsw["memory"], "cold")
            for b in range(0, 3000, 500):
                status, _ = s.request("PUT", "/collections/keep/points?wait=true", {"points": [
                    {"id": i, "vector": [rng.gauss(0, 1) for _ in range(dim)]} for i in range(b, b + 500)]})
                self.assertEqual(status, 200)
            deadline = time.time() + 60
            while time.time() < deadline:
                if s.request("GET", "/collections/keep")[1]["result"]["indexed_vectors_count"] >= 3000:
                    break
                time.sleep(0.1)
            deadline = time.time() + 30
            while "index" not in os.listdir(os.path.join(s.dir, "storage", "collections", "keep", "0")) \
                    and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # the save follows the build
            s.kill()
            s = Server(dir=s.dir)
            # The saved index covers the last full build (3000, or fewer when the last batches
            # were inserted incrementally, which is not saved); loading it is the point.
            m = re.search(r"loaded the saved index over (\d+) vectors", s.log_text())
            self.assertIsNotNone(m, s.log_text())
            loaded = int(m.group(1))
            self.assertGreaterEqual(loaded, 160)
            info = s.request("GET", "/collections/keep")[1]["result"]
            self.assertGreaterEqual(info["indexed_vectors_count"], loaded)
            self.assertEqual(info["points_count"], 3000)
            hit = total = 0
            for t in range(20):
                q = [rng.gauss(0, 1) for _ in range(dim)]
                approx = s.request("POST", "/collections/keep/points/query", {"query": q, "limit": 10})[1]["result"]["points"]
                exact = s.request("POST", "/collections/keep/points/query",
                                  {"query": q, "limit": 10, "params": {"exact": True}})[1]["result"]["points"]
                hit += len({p["id"] for p in approx} & {p["id"] for p in exact})
                total += 10
            self.assertGreaterEqual(hit / total, 0.9, f"recall@10 through the loaded graph: {hit / total}")
        finally:
            self.assertEqual(s.stop(), 0)


class RestTlsTest(unittest.TestCase):
    def test_tls_serves_the_api_and_refuses_plain_http(self):
        import ssl
        certs = tempfile.mkdtemp(prefix="strata-tls-")
        cert, key = os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        s = Server({"STRATA__SERVICE__ENABLE_TLS": "true", "STRATA__TLS__CERT": cert,
                    "STRATA__TLS__KEY": key})
        try:
            self.assertIn("(TLS)", s.log_text())
            ctx = ssl.create_default_context(cafile=cert)
            status, body = s.request("PUT", "/collections/t", {"vectors": {"size": 2, "distance": "Dot"}}, tls=ctx)
            self.assertEqual(status, 200, body)
            status, body = s.request("PUT", "/collections/t/points?wait=true",
                                     {"points": [{"id": 1, "vector": [1, 0]}, {"id": 2, "vector": [0, 1]}]}, tls=ctx)
            self.assertEqual(status, 200, body)
            status, body = s.request("POST", "/collections/t/points/query", {"query": [1, 0.1], "limit": 1}, tls=ctx)
            self.assertEqual((status, body["result"]["points"][0]["id"]), (200, 1))
            validate(body, "/collections/{collection_name}/points/query", "POST")
            # A large upsert over TLS: read in pieces and decoded while it arrives.
            many = {"points": [{"id": 10 + i, "vector": [i / 3.0, 0.125], "payload": {"pad": "p" * 100}}
                               for i in range(3000)]}
            status, body = s.request("PUT", "/collections/t/points?wait=true", many, tls=ctx)
            self.assertEqual(status, 200, body)
            status, body = s.request("POST", "/collections/t/points/count", {"exact": True}, tls=ctx)
            self.assertEqual(body["result"]["count"], 3002)
            status, body = s.request("GET", "/collections/t/points/2999", tls=ctx)
            self.assertAlmostEqual(body["result"]["vector"][0], 2989 / 3.0, places=2)
            # A client that does not trust the certificate is refused by its own TLS check, and
            # plain HTTP gets no answer.
            with self.assertRaises(urllib.error.URLError):
                s.request("GET", "/collections", tls=ssl.create_default_context())
            with self.assertRaises(Exception):
                s.request("GET", "/collections")
        finally:
            self.assertEqual(s.stop(), 0)
            shutil.rmtree(certs, ignore_errors=True)

    def test_tls_without_a_certificate_is_a_clear_startup_error(self):
        with self.assertRaises(RuntimeError) as e:
            Server({"STRATA__SERVICE__ENABLE_TLS": "true", "STRATA__TLS__CERT": "/nonexistent/c.pem",
                    "STRATA__TLS__KEY": "/nonexistent/k.pem"})
        self.assertIn("tls.cert", str(e.exception))


class RestApiKeyTest(unittest.TestCase):
    def test_keys(self):
        s = Server({"STRATA__SERVICE__API_KEY": "secret", "STRATA__SERVICE__READ_ONLY_API_KEY": "reader"})
        try:
            self.assertEqual(s.request("GET", "/collections")[0], 403)
            self.assertEqual(s.request("GET", "/collections", headers={"api-key": "nope"})[0], 403)
            self.assertEqual(s.request("GET", "/healthz")[0], 200, "health needs no key")
            ok = s.request("PUT", "/collections/k", {"vectors": {"size": 2, "distance": "Dot"}}, headers={"api-key": "secret"})
            self.assertEqual(ok[0], 200, ok)
            ro = s.request("PUT", "/collections/k2", {"vectors": {"size": 2, "distance": "Dot"}},
                           headers={"Authorization": "Bearer reader"})
            self.assertEqual(ro[0], 403, ro)
            self.assertEqual(s.request("GET", "/collections", headers={"Authorization": "Bearer reader"})[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
