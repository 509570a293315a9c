-- wrk script for bench/run.py.
--   wrk ... -s bench/wrk.lua URL -- MAX_REQUESTS_PER_THREAD [AUTHORIZATION]
-- Sends the Authorization header when given, stops each thread after
-- MAX_REQUESTS_PER_THREAD responses (0: no cap, the -d duration bounds the run),
-- and prints one line "BENCH_RESULT {json}" with throughput, latency percentiles
-- (microseconds) and error counts.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   max_requests = tonumber(args[1] or "0") or 0
   local auth = args[2]
   if auth ~= nil and auth ~= "" then
      wrk.headers["Authorization"] = auth
   end
   responses = 0
   non_2xx = 0
end

function response(status, headers, body)
   responses = responses + 1
   if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
   end
   if max_requests > 0 and responses >= max_requests then
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non_2xx") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
      '"non_2xx": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
      '"timeouts": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max,
      bad, e.connect, e.read, e.write, e.timeout))
end
