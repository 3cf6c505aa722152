// One wire-protocol request run on a PGlite instance, its reply returned as bytes (wireDb.ts).
// Plain JavaScript: the database thread (pgliteThread.mjs) imports it too.
//
// Not execProtocolRawSync: its default output handler also parses every reply into messages and
// keeps them in a list that only PGlite's own query methods empty — on this path a leak of every
// row ever returned (115 MB of the database thread's heap after 60,000 deliveries), and parsing
// work on the thread that bounds PGlite's throughput. Here the output is only copied.

/** Where replies are assembled, reused; one grown past `keptSize` by a large reply is let go after it. */
const keptSize = 1024 * 1024;
let scratch = new Uint8Array(64 * 1024);

/**
 * The reply is a copy with an ArrayBuffer of its own: it outlives the next call and can be transferred.
 * @param {import('@electric-sql/pglite').PGlite} pg @param {Uint8Array} request @returns {Promise<Uint8Array>}
 */
export async function exchange(pg, request) {
  let size = 0;
  const onRawData = (bytes) => {
    if (size + bytes.length > scratch.length) {
      const larger = new Uint8Array(Math.max(scratch.length * 2, size + bytes.length));
      larger.set(scratch.subarray(0, size));
      scratch = larger;
    }
    scratch.set(bytes, size);
    size += bytes.length;
  };
  // The request runs synchronously within this call; the reply is copied out before anything else
  // can run on this thread and reuse the scratch buffer.
  const ran = pg.execProtocolRawStream(request, { syncToFs: false, onRawData });
  const reply = scratch.slice(0, size);
  if (scratch.length > keptSize) scratch = new Uint8Array(64 * 1024);
  await ran;
  return reply;
}
