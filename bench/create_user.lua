-- wrk script: every request creates a user with a unique username.
-- The token comes from BENCH_TOKEN; each wrk thread gets its own prefix.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  prefix = string.format("load-%d-%d-%d-", os.time(), math.random(1000000), tid)
  counter = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
end

function request()
  counter = counter + 1
  local body = string.format('{"username": "%s%d", "name": "Load Test", "email": "load%d@example.com"}', prefix, counter, counter)
  return wrk.format("POST", "/api/v3/core/users/", headers, body)
end
