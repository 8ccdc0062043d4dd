-- scripts/man.lua - pandoc filter that turns a docs/*.md page into a man
-- page (scripts/mkman runs it; see there). Metadata in: name (skit-relay),
-- section (1), desc (the NAME line), pages (space-separated "doc=page(n)"
-- for every docs/*.md, so a link to connect.md reads "skit-connect(1)").
--
--   - the page's own "# title" line goes: NAME is "name - desc", and the
--     text before the first "##" becomes DESCRIPTION;
--   - "##" sections become the man page's sections (.SH, upper case),
--     "###" its subsections (.SS);
--   - links and mentions of docs/X.md name the man page instead, so an
--     installed page never points into the source tree.

local pages = {}

local function stringify(m)
  return pandoc.utils.stringify(m or "")
end

local function page_ref(target)
  local doc = target:match("^([%w-]+)%.md") or
    target:match("^docs/([%w-]+)%.md")
  if doc then
    return pages[doc] or "skit(1)"
  end
  return nil
end

-- "docs/echo.md" in running text or code becomes "skit-echo(1)" (and
-- the old "docs/skit.1" skit(1)).
local function rewrite_text(s)
  s = s:gsub("docs/skit%.1", "skit(1)")
  return (s:gsub("docs/([%w-]+)%.md", function(doc)
    return pages[doc] or "skit(1)"
  end))
end

function Pandoc(doc)
  local meta = doc.meta
  for pair in stringify(meta.pages):gmatch("%S+") do
    local k, v = pair:match("^([^=]+)=(.+)$")
    if k then pages[k] = v end
  end
  local name, desc = stringify(meta.name), stringify(meta.desc)
  local out = pandoc.List()
  out:insert(pandoc.Header(1, "NAME"))
  out:insert(pandoc.Para({ pandoc.Str(name .. " - " .. desc) }))
  local seen_title, in_intro = false, false
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 and not seen_title then
      seen_title = true
      in_intro = true
    else
      if b.t == "Header" then
        in_intro = false
        local level = math.max(1, b.level - 1)
        local content = b.content
        if level == 1 then
          content = { pandoc.Str(pandoc.text.upper(stringify(b.content))) }
        end
        b = pandoc.Header(level, content, b.attr)
      elseif in_intro then
        out:insert(pandoc.Header(1, "DESCRIPTION"))
        in_intro = false
      end
      out:insert(b)
    end
  end
  doc.blocks = out
  -- The .TH line: title in upper case, section, date, source, manual.
  meta.title = pandoc.MetaInlines({ pandoc.Str(pandoc.text.upper(name)) })
  meta.pages, meta.name, meta.desc = nil, nil, nil
  local walker = {
    Link = function(l)
      local ref = page_ref(l.target)
      if not ref then return nil end
      local text = stringify(l.content)
      if text == ref or text:match("%.md$") then
        return pandoc.Str(ref)
      end
      local res = pandoc.List(l.content)
      do
        res:insert(pandoc.Str(" (" .. ref .. ")"))
      end
      return res
    end,
    Str = function(s) s.text = rewrite_text(s.text); return s end,
    Code = function(c) c.text = rewrite_text(c.text); return c end,
    CodeBlock = function(c) c.text = rewrite_text(c.text); return c end,
  }
  local body = pandoc.walk_block(pandoc.Div(doc.blocks), walker)
  return pandoc.Pandoc(body.content, meta)
end
