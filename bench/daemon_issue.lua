-- daemon_issue.lua - wrk script for bench/daemon_bench.sh: every request
-- POSTs a new diploma (a number of its own) to mohurd's API; RUN tells the
-- rounds apart, so that no round re-sends an earlier one's numbers.
local n = 0
local run = os.getenv("RUN") or "0"
request = function()
   n = n + 1
   local body = string.format('{"kind":"diploma","issuer":"bdu","fields":{"name":"Məzun %d",' ..
      '"degree":"Bakalavr","programme":"Fizika","date":"2026-06-30","number":"W%s-%07d"}}', n, run, n)
   return wrk.format("POST", "/api/v1/documents", {["Authorization"] = "Bearer " .. os.getenv("TOK"),
      ["Content-Type"] = "application/json"}, body)
end
