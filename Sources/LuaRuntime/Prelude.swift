/// Lua code run once per state, after the C sandbox is built and before it is sealed. It receives the
/// sandbox globals and the private helpers, and keeps the helpers in its upvalues only.
let prelude = """
local G, I = ...
local raw_resume, yield, create, isyieldable = I.raw_resume, I.yield, I.create, I.isyieldable
local HOSTMARK, load_module, call_module, freeze, module_source =
  I.hostmark, I.load_module, I.call_module, I.freeze, I.module_source
local select, error, type = G.select, G.error, G.type

-- A host call inside a script's own coroutine yields the host mark to coroutine.resume: pass it up to
-- the runtime, which does the I/O and resumes us; then hand the answer back to the inner coroutine.
local function pass(co, ok, ...)
  if ok and select("#", ...) == 1 and (...) == HOSTMARK then
    if not isyieldable() then
      error("a host call inside a coroutine cannot wait here (inside a metamethod, sort comparator or gsub callback)", 0)
    end
    return pass(co, raw_resume(co, yield(HOSTMARK)))
  end
  return ok, ...
end

local function resume(co, ...)
  return pass(co, raw_resume(co, ...))
end

local function unwrap(ok, ...)
  if ok then return ... end
  error((...), 0)
end

G.coroutine.resume = resume
G.coroutine.wrap = function(f)
  local co = create(f)
  return function(...) return unwrap(resume(co, ...)) end
end

-- require: pure-Lua modules from the scripts folder's lib/, compiled once per state, returned read-only.
local loaded, loading = {}, {}
local pcall = G.pcall
G.require = function(name)
  if type(name) ~= "string" then
    error("require: the module name must be a string (got " .. type(name) .. ")", 2)
  end
  local m = loaded[name]
  if m ~= nil then return m end
  if loading[name] then
    error("require: module '" .. name .. "' requires itself (directly or through other modules)", 2)
  end
  local found, source, chunkname = pcall(module_source, name)
  if not found then error(source, 2) end
  local f, err = load_module(source, chunkname)
  if not f then error("require: " .. err, 0) end
  loading[name] = true
  local ok, result = pcall(call_module, f, name)
  loading[name] = nil
  if not ok then error(result, 0) end
  m = result
  if m == nil then m = true end
  m = freeze(m)
  loaded[name] = m
  return m
end
"""
