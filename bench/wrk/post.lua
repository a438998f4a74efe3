-- POST forms from a file: each wrk thread reads BENCH_FORMS.<n> (n = its number), whose first
-- line is its session cookie and each next line "path<TAB>urlencoded body", and posts them in
-- turn, so no two requests ask for the same slot.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require("report")

local threads = 0
setup = function(thread)
  thread:set("number", threads)
  threads = threads + 1
end

local cookie, forms, next_form = "", {}, 0
init = function(args)
  local first = true
  for line in io.lines(os.getenv("BENCH_FORMS") .. "." .. number) do
    if first then
      cookie, first = line, false
    else
      local path, body = line:match("^([^\t]*)\t(.*)$")
      forms[#forms + 1] = { path = path, body = body }
    end
  end
end

request = function()
  next_form = next_form % #forms + 1
  local form = forms[next_form]
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  return wrk.format("POST", form.path, headers, form.body)
end

done = function(summary, latency, requests)
  report(summary, latency)
end
