// Load from another process: `node bench/load-client.mjs <url> <token> <connections> <seconds>`
// prints autocannon's result as JSON. The flood row uses it so the client does not share the
// gateway's event loop (an in-process client would wait behind the same output the API does).
import autocannon from 'autocannon';

const [url, token, connections = '1', seconds = '5'] = process.argv.slice(2);
if (!url || !token) {
  process.stderr.write('usage: node bench/load-client.mjs <url> <token> [connections] [seconds]\n');
  process.exit(2);
}
const result = await autocannon({
  url,
  headers: { authorization: `Bearer ${token}` },
  connections: Number(connections),
  duration: Number(seconds),
});
process.stdout.write(
  `${JSON.stringify({ p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, errors: result.errors, non2xx: result.non2xx })}\n`,
);
