// A realistic application against Strata through the official Qdrant JS gRPC client:
// create a collection, upsert with payloads, payload index, query with filters, scroll, count,
// delete, sparse vectors, snapshots, drop the collection. Exits non-zero (with the reason) on the first wrong answer.
// usage: node app.mjs <port>
import { QdrantClient } from '@qdrant/js-client-grpc';

const port = Number(process.argv[2]);
const client = new QdrantClient({ host: '127.0.0.1', port, checkCompatibility: true });

function check(cond, what) {
  if (!cond) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

const name = 'js_grpc_app';
const collections = client.api('collections');
const points = client.api('points');

const health = await client.api('service').healthCheck({});
check(health.version === '1.19.0', `health check reports version ${health.version}`);

await collections.create({
  collectionName: name,
  vectorsConfig: { config: { case: 'params', value: { size: 4n, distance: 1 /* Cosine */ } } },
});
const list = await collections.list({});
check(list.collections.some((c) => c.name === name), 'the new collection is listed');

const docs = [];
for (let i = 0; i < 100; i++) {
  docs.push({
    id: { pointIdOptions: { case: 'num', value: BigInt(i) } },
    vectors: {
      vectorsOptions: {
        case: 'vector',
        value: { vector: { case: 'dense', value: { data: [Math.cos(i), Math.sin(i), i % 7, 1] } } },
      },
    },
    payload: {
      city: { kind: { case: 'stringValue', value: i % 3 === 0 ? 'Berlin' : 'London' } },
      rank: { kind: { case: 'integerValue', value: BigInt(i) } },
    },
  });
}
const up = await points.upsert({ collectionName: name, wait: true, points: docs });
check(up.result.status === 2 /* Completed */, 'upsert with wait=true completes');

await points.createFieldIndex({ collectionName: name, fieldName: 'city', fieldType: 0 /* Keyword */, wait: true });
const info = await collections.get({ collectionName: name });
check(info.result.pointsCount === 100n, `collection info counts ${info.result.pointsCount} points`);
check('city' in info.result.payloadSchema, 'payload_schema lists the city index');

const berlin = { must: [{ conditionOneOf: { case: 'field', value: { key: 'city', match: { matchValue: { case: 'keyword', value: 'Berlin' } } } } }] };
const found = await points.query({
  collectionName: name,
  query: { variant: { case: 'nearest', value: { variant: { case: 'dense', value: { data: [1, 0, 0, 1] } } } } },
  filter: berlin,
  limit: 5n,
  withPayload: { selectorOptions: { case: 'enable', value: true } },
});
check(found.result.length === 5, `query with a filter returns ${found.result.length} points`);
check(found.result.every((p) => p.payload.city.kind.value === 'Berlin'), 'every hit matches the filter');
check(found.result[0].score >= found.result[4].score, 'hits are sorted by score');

let seen = 0;
let offset = undefined;
do {
  const page = await points.scroll({ collectionName: name, limit: 30, offset, filter: berlin });
  seen += page.result.length;
  offset = page.nextPageOffset;
} while (offset);
check(seen === 34, `scrolling the filtered points page by page sees ${seen}`);

const counted = await points.count({ collectionName: name, filter: berlin, exact: true });
check(counted.result.count === 34n, `count with a filter says ${counted.result.count}`);

await points.delete({ collectionName: name, wait: true, points: { pointsSelectorOneOf: { case: 'filter', value: berlin } } });
const left = await points.count({ collectionName: name, exact: true });
check(left.result.count === 66n, `delete by filter leaves ${left.result.count} points`);

try {
  await collections.get({ collectionName: 'does_not_exist' });
  check(false, 'a missing collection must fail');
} catch (e) {
  check(String(e.message).includes("doesn't exist"), `a missing collection fails: ${e.message}`);
}

// Sparse vectors (idf) next to a dense one, searched by the sparse one.
const hybrid = 'js_grpc_hybrid';
await collections.create({
  collectionName: hybrid,
  vectorsConfig: { config: { case: 'paramsMap', value: { map: { dense: { size: 2n, distance: 3 /* Dot */ } } } } },
  sparseVectorsConfig: { map: { text: { modifier: 1 /* Idf */ } } },
});
const sparseDocs = [];
for (let i = 1; i <= 20; i++) {
  sparseDocs.push({
    id: { pointIdOptions: { case: 'num', value: BigInt(i) } },
    vectors: {
      vectorsOptions: {
        case: 'vectors',
        value: {
          vectors: {
            dense: { vector: { case: 'dense', value: { data: [Math.cos(i), Math.sin(i)] } } },
            text: { vector: { case: 'sparse', value: { indices: [i % 5, 10 + (i % 3)], values: [1, 0.5] } } },
          },
        },
      },
    },
  });
}
await points.upsert({ collectionName: hybrid, wait: true, points: sparseDocs });
const sparseHits = await points.query({
  collectionName: hybrid,
  using: 'text',
  query: { variant: { case: 'nearest', value: { variant: { case: 'sparse', value: { indices: [2], values: [1] } } } } },
  limit: 10n,
});
check(sparseHits.result.length === 4 && sparseHits.result.every((p) => p.id.pointIdOptions.value % 5n === 2n),
      `a sparse query finds the 4 documents with term 2`);

// Snapshots service: create, list, delete.
const snapshots = client.api('snapshots');
const created = await snapshots.create({ collectionName: hybrid });
const desc = created.snapshotDescription;
check(desc.name.startsWith(`${hybrid}-`) && desc.size > 0n && /^[0-9a-f]{64}$/.test(desc.checksum),
      `create snapshot ${desc.name}`);
check(desc.creationTime && desc.creationTime.seconds > 0n, 'the snapshot has a creation time');
const listed = await snapshots.list({ collectionName: hybrid });
check(listed.snapshotDescriptions.length === 1 && listed.snapshotDescriptions[0].name === desc.name,
      'the snapshot is listed');
await snapshots.delete({ collectionName: hybrid, snapshotName: desc.name });
check((await snapshots.list({ collectionName: hybrid })).snapshotDescriptions.length === 0,
      'the snapshot is deleted');
try {
  await snapshots.delete({ collectionName: hybrid, snapshotName: desc.name });
  check(false, 'deleting it again must fail');
} catch (e) {
  check(String(e.message).includes('doesn\'t exist'), `deleting it again fails: ${e.message}`);
}
await collections.delete({ collectionName: hybrid });

await collections.delete({ collectionName: name });
const after = await collections.list({});
check(!after.collections.some((c) => c.name === name), 'the collection is gone');
console.log('all checks passed');
