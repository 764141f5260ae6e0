-- daemon_issue.lua - wrk script for bench/daemon_bench.sh: every request
-- POSTs a new diploma (a number of its own) to mohurd's API.
local n = 0
request = function()
   n = n + 1
   local body = string.format('{"kind":"diploma","issuer":"bdu","fields":{"name":"Məzun %d",' ..
      '"degree":"Bakalavr","programme":"Fizika","date":"2026-06-30","number":"W-%07d"}}', n, n)
   return wrk.format("POST", "/api/v1/documents", {["Authorization"] = "Bearer " .. os.getenv("TOK"),
      ["Content-Type"] = "application/json"}, body)
end
