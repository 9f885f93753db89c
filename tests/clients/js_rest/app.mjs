// A realistic application against Strata through the official Qdrant JS REST client:
// collection, upsert with payloads, payload index, filtered query, paginated scroll, count,
// set and delete payload, delete by filter, aliases, hybrid dense + sparse search with RRF,
// snapshot, change, recover from the snapshot, collection info, delete collection.
// Exits non-zero (with the reason) on the first wrong answer.
// usage: node app.mjs <port> <the server's snapshots directory>
import { QdrantClient } from '@qdrant/js-client-rest';

const port = Number(process.argv[2]);
const client = new QdrantClient({ url: `http://127.0.0.1:${port}`, checkCompatibility: true });

function check(cond, what) {
  if (!cond) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

const name = 'js_rest_app';
const versionInfo = await client.versionInfo();
check(versionInfo.version === '1.19.0', `the server reports API version ${versionInfo.version}`);

check((await client.createCollection(name, { vectors: { size: 4, distance: 'Cosine' } })) === true,
      'create collection');
check((await client.collectionExists(name)).exists === true, 'the collection exists');

const points = [];
for (let i = 0; i < 120; i++) {
  points.push({
    id: i,
    vector: [Math.cos(i), Math.sin(i), (i % 5) / 5, 1],
    payload: { city: i % 4 === 0 ? 'Berlin' : 'Paris', rank: i, tags: ['a', i % 2 ? 'odd' : 'even'] },
  });
}
const up = await client.upsert(name, { wait: true, points });
check(up.status === 'completed', 'upsert of 120 points completes');

await client.createPayloadIndex(name, { field_name: 'city', field_schema: 'keyword', wait: true });
const info = await client.getCollection(name);
check(info.points_count === 120, `collection info counts ${info.points_count} points`);
check(info.payload_schema.city?.data_type === 'keyword', 'payload_schema shows the keyword index');

const berlin = { must: [{ key: 'city', match: { value: 'Berlin' } }] };
const res = await client.query(name, { query: [1, 0, 0, 1], filter: berlin, limit: 5, with_payload: true });
check(res.points.length === 5, `filtered query returns ${res.points.length} points`);
check(res.points.every((p) => p.payload.city === 'Berlin'), 'every hit matches the filter');
check(Number.isInteger(res.points[0].payload.rank), 'integer payload values stay integers');

let seen = 0;
let offset = undefined;
do {
  const page = await client.scroll(name, { limit: 7, offset, filter: berlin });
  seen += page.points.length;
  offset = page.next_page_offset ?? undefined;
} while (offset !== undefined);
check(seen === 30, `paginated scroll over the filter sees ${seen} points`);

const odd = await client.count(name, { filter: { must: [{ key: 'tags', match: { any: ['odd'] } }] } });
check(odd.count === 60, `count over an array field says ${odd.count}`);

await client.setPayload(name, { payload: { featured: true }, points: [0, 4, 8], wait: true });
const featured = await client.count(name, { filter: { must: [{ key: 'featured', match: { value: true } }] } });
check(featured.count === 3, 'set payload on three points');
await client.deletePayload(name, { keys: ['featured'], points: [0], wait: true });
const [zero] = await client.retrieve(name, { ids: [0] });
check(zero.payload.featured === undefined && zero.payload.city === 'Berlin', 'delete payload key');

await client.delete(name, { filter: { must: [{ key: 'city', match: { value: 'Paris' } }] }, wait: true });
check((await client.count(name)).count === 30, 'delete by filter leaves the Berlin points');

await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: name, alias_name: 'app_alias' } }] });
const viaAlias = await client.count('app_alias');
check(viaAlias.count === 30, 'the alias reaches the collection');
const aliases = await client.getCollectionAliases(name);
check(aliases.aliases.some((a) => a.alias_name === 'app_alias'), 'the alias is listed');

try {
  await client.getCollection('does_not_exist');
  check(false, 'a missing collection must fail');
} catch (e) {
  check(e.status === 404, `a missing collection answers ${e.status}`);
}

// Hybrid search: a dense and a sparse (BM25-style, idf) vector per document, fused with RRF.
const hybrid = 'js_rest_hybrid';
await client.createCollection(hybrid, {
  vectors: { dense: { size: 2, distance: 'Dot' } },
  sparse_vectors: { text: { modifier: 'idf' } },
});
const docs = [];
for (let i = 1; i <= 20; i++) {
  docs.push({
    id: i,
    vector: { dense: [Math.cos(i), Math.sin(i)], text: { indices: [i % 5, 10 + (i % 3)], values: [1, 0.5] } },
    payload: { n: i },
  });
}
await client.upsert(hybrid, { wait: true, points: docs });
const sparseHits = await client.query(hybrid, { query: { indices: [2], values: [1] }, using: 'text', limit: 10 });
check(sparseHits.points.length === 4 && sparseHits.points.every((p) => p.id % 5 === 2),
      `a sparse query finds the 4 documents with term 2 (${sparseHits.points.map((p) => p.id)})`);
const fused = await client.query(hybrid, {
  prefetch: [
    { query: [1, 0], using: 'dense', limit: 5 },
    { query: { indices: [2, 11], values: [1, 1] }, using: 'text', limit: 5 },
  ],
  query: { fusion: 'rrf' },
  limit: 3,
  with_vector: ['text'],
});
check(fused.points.length === 3 && fused.points[0].vector.text.indices.length === 2,
      'a hybrid RRF query returns fused points with their sparse vectors');
const hinfo = await client.getCollection(hybrid);
check(hinfo.config.params.sparse_vectors.text.modifier === 'idf', 'collection info shows the sparse vector');

// Backup and restore: snapshot, change, recover the snapshot's state from its file.
const snapshotsDir = process.argv[3];
const snap = await client.createSnapshot(hybrid);
check(snap.name.startsWith(`${hybrid}-`) && snap.size > 0 && /^[0-9a-f]{64}$/.test(snap.checksum),
      `create snapshot ${snap.name}`);
check((await client.listSnapshots(hybrid)).some((s) => s.name === snap.name), 'the snapshot is listed');
await client.delete(hybrid, { wait: true, points: [1, 2, 3] });
check((await client.count(hybrid)).count === 17, 'points deleted after the snapshot');
check((await client.recoverSnapshot(hybrid, {
  location: `file://${snapshotsDir}/${hybrid}/${snap.name}`, checksum: snap.checksum,
})) === true, 'recover from the snapshot file');
check((await client.count(hybrid)).count === 20, 'the recovered collection has the snapshot\'s 20 points');
const again = await client.query(hybrid, { query: { indices: [2], values: [1] }, using: 'text', limit: 10 });
check(JSON.stringify(again.points) === JSON.stringify(sparseHits.points),
      'the recovered collection answers the sparse query as before');
check((await client.deleteSnapshot(hybrid, snap.name)) === true, 'delete the snapshot');
check((await client.listSnapshots(hybrid)).length === 0, 'no snapshot left');
await client.deleteCollection(hybrid);

check((await client.deleteCollection(name)) === true, 'delete collection');
check((await client.collectionExists(name)).exists === false, 'the collection is gone');
console.log('all checks passed');
