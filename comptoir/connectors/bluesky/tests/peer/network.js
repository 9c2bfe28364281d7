// network.js — PLC + PDS + AppView + Ozone (TestNetwork) for the Bluesky connector tests.
// Needs DB_POSTGRES_URL and REDIS_HOST (the fixture starts private ones) and every port in the env.
// Prints one JSON line when ready; each line written to stdin flushes indexing (processAll) and
// answers {"processed":true}.
const { TestNetwork } = require('@atproto/dev-env');
(async () => {
  const net = await TestNetwork.create({
    dbPostgresSchema: 'peers',
    plc: { port: +process.env.PLC_PORT },
    pds: { port: +process.env.PDS_PORT },
    bsky: { port: +process.env.BSKY_PORT },
    ozone: { port: +process.env.OZONE_PORT },
  });
  console.log(JSON.stringify({ ready: true, pds: net.pds.url, bsky: net.bsky.url }));
  process.stdin.on('data', async () => {
    try { await net.processAll(); console.log('{"processed":true}'); }
    catch (e) { console.error(e); console.log('{"processed":false}'); }
  });
  const stop = async () => { await net.close(); process.exit(0); };
  process.on('SIGTERM', stop); process.on('SIGINT', stop);
})().catch((e) => { console.error(e); process.exit(1); });
