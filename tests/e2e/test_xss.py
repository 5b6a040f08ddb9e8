"""Stored and reflected XSS: 54 known payloads through every text field a user fills — a
draft's text and title, a task's title and instructions, comments and their proposed
wording (recorded and uploaded), a suggestion's wording and rationale, an outcome's
explanation, a search, a statistics parameter, a login's ``next``, a path — then every page
that shows them is opened in Chromium as each role sees it.

The data goes in through the running server's own API and upload (its validation, its
sanitiser), as a client would send it. A page passes when no payload ran (a hook records
any call, and any dialog), no element carries an event handler or a ``javascript:`` link
that the page did not ship, no script but the site's own is present, and the browser
reported no Content-Security-Policy violation (which an injected element would cause
even where the policy stopped it).
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import accessibility_problems

PASSWORD = "consult-demo"

PAYLOADS = [
    "<script>__xss(1)</script>",
    "<img src=x onerror=__xss(2)>",
    "<svg onload=__xss(3)>",
    "<svg><script>__xss(4)</script></svg>",
    '"><script>__xss(5)</script>',
    "'><img src=x onerror=__xss(6)>",
    "</textarea><script>__xss(7)</script>",
    "</title><script>__xss(8)</script>",
    "<body onload=__xss(9)>",
    '<iframe src="javascript:__xss(10)"></iframe>',
    '<iframe srcdoc="<script>parent.__xss(11)</script>"></iframe>',
    '<a href="javascript:__xss(12)">点我</a>',
    '<a href="JaVaScRiPt:__xss(13)">x</a>',
    '<a href="&#106;avascript:__xss(14)">x</a>',
    "<details open ontoggle=__xss(15)>",
    "<input autofocus onfocus=__xss(16)>",
    "<select autofocus onfocus=__xss(17)>",
    "<textarea autofocus onfocus=__xss(18)>",
    "<video><source onerror=__xss(19)>",
    "<audio src=x onerror=__xss(20)>",
    "<marquee onstart=__xss(21)>",
    '<object data="javascript:__xss(22)">',
    '<embed src="javascript:__xss(23)">',
    "<math><mtext></form><form><mglyph><style></math><img src onerror=__xss(24)>",
    "<style>@import 'javascript:__xss(25)';</style>",
    '<div style="background:url(javascript:__xss(26))">',
    '<link rel=stylesheet href="javascript:__xss(27)">',
    '<meta http-equiv="refresh" content="0;url=javascript:__xss(28)">',
    '<base href="javascript:__xss(29)//">',
    '<form action="javascript:__xss(30)"><button>提交</button></form>',
    '<button formaction="javascript:__xss(31)">x</button>',
    "<isindex action=javascript:__xss(32) type=image>",
    '<img src="x` `<script>__xss(33)</script>"` `>',
    "<scr<script>ipt>__xss(34)</scr</script>ipt>",
    "<<script>__xss(35);//<</script>",
    '<img """><script>__xss(36)</script>">',
    "<svg><animate onbegin=__xss(37) attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:__xss(38)"><text x=20 y=20>x</text></a></svg>',
    '<noscript><p title="</noscript><img src=x onerror=__xss(39)>">',
    "<template><script>__xss(40)</script></template><img src=x onerror=__xss(40)>",
    "javascript:__xss(41)",
    "{{constructor.constructor('__xss(42)')()}}",
    "{{7*7}}<%= 7*7 %>${7*7}",
    '" onmouseover="__xss(44)" x="',
    "' onfocus='__xss(45)' autofocus x='",
    "</script><script>__xss(46)</script>",
    '<!--<img src="--><img src=x onerror=__xss(47)//">',
    "<img src=x:__xss(48) onerror=eval(src) alt=0>",
    "<x onclick=__xss(49)>点我</x>",
    "<svg/onload=__xss(50)>",
    '<img src=x onerror="&#95;&#95;xss(51)">',
    "<script src=data:text/javascript,__xss(52)></script>",
    "%3Cscript%3E__xss(53)%3C/script%3E",
    "<img src=x onerror=__xss(54)>\u2028<script>__xss(54)</script>",
]

HOOK = """
window.__hits = [];
window.__xss = (n) => window.__hits.push(String(n));
window.alert = window.confirm = window.prompt = (m) => window.__hits.push('dialog ' + m);
"""

# What an injected payload would leave in the page, whether or not the policy blocked it.
INJECTED = """() => {
  const found = [];
  const urls = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(`${tag} ${name}`);
      if (name === 'srcdoc') found.push(`${tag} srcdoc`);
      if (urls.includes(name) && (value.startsWith('javascript:') || value.startsWith('data:text')))
        found.push(`${tag} ${name}=${attr.value}`);
    }
    if (['iframe', 'object', 'embed', 'base', 'isindex', 'marquee', 'x'].includes(tag))
      found.push(`<${tag}>`);
    if (['meta', 'link', 'style'].includes(tag) && !el.closest('head')) found.push(`<${tag}>`);
  }
  for (const script of document.scripts) {
    const own = script.src && new URL(script.src).origin === location.origin
      && new URL(script.src).pathname.startsWith('/static/');
    if (!own && script.type !== 'application/json')
      found.push(`script ${script.src || script.text.slice(0, 40)}`);
  }
  return found;
}"""


class Api:
    """The running server's JSON API with one user's token (Playwright's request context)."""

    def __init__(self, request, base: str, username: str):
        self.request, self.base = request, base
        response = request.post(base + "/api/v1/tokens", data={
            "username": username, "password": PASSWORD, "name": "xss"})  # fmt: skip
        assert response.status == 201, response.text()
        self.headers = {"Authorization": "Bearer " + response.json()["token"]}

    def call(self, method: str, path: str, body=None, status: int = 200, **kwargs):
        response = self.request.fetch(
            self.base + "/api/v1" + path, method=method, data=body, headers=self.headers, **kwargs
        )
        assert response.status == status, (path, response.status, response.text()[:500])
        return response.json() if response.body() else None


@pytest.fixture
def stored(live_server, browser):
    """A draft, task, comments (recorded and uploaded), a submitted suggestion and its
    outcome, every text in them one of the payloads."""
    context = browser.new_context()
    request = context.request
    staff = Api(request, live_server, "fgw.li")
    manager = Api(request, live_server, "dianzhang")
    expert = Api(request, live_server, "zhuanjia1")
    collector = Api(request, live_server, "caiji01")
    point_id = manager.call("GET", "/me")["point_id"]
    articles = "\n".join(f"第{n}条　本条规定{payload}。" for n, payload in
                         enumerate(PAYLOADS, start=1))  # fmt: skip
    text = f"重庆市防范注入条例（草案）{PAYLOADS[0]}\n{articles}"
    draft = staff.call("POST", "/drafts", {"text": text, "title": "防范注入条例" + PAYLOADS[1]},
                       status=201)  # fmt: skip
    staff.call("POST", f"/drafts/{draft['id']}/versions/1/publish")
    task = staff.call("POST", "/tasks", {
        "draft_version_id": draft["version"]["id"], "title": "征求意见" + PAYLOADS[2],
        "instructions": "请就以下内容征求意见：" + "".join(PAYLOADS),
        "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(), "point_ids": [point_id],
        "public_channel": True,
    }, status=201)  # fmt: skip
    unit_ids = [collector.call("GET", "/me")["unit_id"]]
    manager.call("POST", f"/tasks/{task['id']}/assignments", {"unit_ids": unit_ids}, status=201)
    for n, payload in enumerate(PAYLOADS, start=1):
        collector.call("POST", f"/tasks/{task['id']}/comments", {
            "clause": f"第{n}条", "body": "意见" + payload, "proposed_text": payload,
            "channel": "forum",
        }, status=201)  # fmt: skip
    upload = io.StringIO()
    writer = csv.writer(upload)
    writer.writerow(["条款", "意见", "修改建议", "收集方式", "收集日期", "代表人数"])
    for n, payload in enumerate(PAYLOADS, start=1):
        writer.writerow([f"第{n}条", "上传" + payload, payload, "座谈会", "", 1])
    collector.call("POST", f"/tasks/{task['id']}/comments/import", status=201, multipart={
        "file": {"name": "xss.csv", "mimeType": "text/csv",
                 "buffer": upload.getvalue().encode("utf-8")},
    })  # fmt: skip
    ids = []
    page = 1
    while True:
        listed = manager.call("GET", f"/tasks/{task['id']}/comments?per_page=100&page={page}")
        ids += [c["id"] for c in listed["items"]]
        if page >= listed["pages"]:
            break
        page += 1
    assert len(ids) == 2 * len(PAYLOADS)
    suggestion = expert.call("POST", f"/tasks/{task['id']}/suggestions", {
        "comment_ids": ids, "clause": "第一条", "proposed_text": "本条规定" + PAYLOADS[3],
        "rationale": "<p>理由</p>" + "".join(PAYLOADS),
    }, status=201)  # fmt: skip
    manager.call("POST", f"/suggestions/{suggestion['id']}/approve")
    manager.call("POST", f"/tasks/{task['id']}/submission", {}, status=201)
    staff.call("PUT", f"/suggestions/{suggestion['id']}/outcome", {
        "outcome": "partially_adopted", "explanation": "部分采纳" + "".join(PAYLOADS),
    })  # fmt: skip
    context.close()
    return {"task": task["id"], "draft": draft["id"], "suggestion": suggestion["id"],
            "comment": ids[0]}  # fmt: skip


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def check(page, url: str, *, accessible: bool = False) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    hits = page.evaluate("() => window.__hits")
    injected = page.evaluate(INJECTED)
    violations = [e for e in page.console_errors if "Content Security Policy" in e]
    assert (hits, injected, violations) == ([], [], []), url
    page.console_errors.clear()
    if accessible:  # every page of every role is here: axe-core looks at each once
        assert accessibility_problems(page) == [], url


def new_page(page_factory):
    page = page_factory(1280, 900)
    page.add_init_script(HOOK)
    page.on("dialog", lambda dialog: (page.evaluate("m => window.__hits.push(m)", dialog.message),
                                      dialog.dismiss()))  # fmt: skip
    return page


def test_stored_payloads_never_run_on_any_page_of_any_role(live_server, page_factory, stored):
    task, draft, comment = stored["task"], stored["draft"], stored["comment"]
    pages = {
        "fgw.li": [f"/drafts/{draft}", f"/drafts/{draft}/v/1", f"/drafts/{draft}/v/1/print",
                   f"/drafts/{draft}/v/1/note", f"/tasks/{task}", "/inbox/",
                   f"/inbox/tasks/{task}", "/search/?q=" + urllib.parse.quote("本条规定"),
                   "/search/?q=" + urllib.parse.quote("意见") + "&kind=comment",
                   "/search/?q=" + urllib.parse.quote("理由") + "&kind=suggestion",
                   "/stats/?by=task"],
        "dianzhang": [f"/tasks/{task}", f"/tasks/{task}/comments", f"/tasks/{task}/heatmap",
                      f"/tasks/{task}/review", f"/tasks/{task}/moderation", f"/comments/{comment}",
                      "/stats/?by=collector"],
        "caiji01": ["/collector/", f"/tasks/{task}/comments", f"/comments/{comment}",
                    f"/comments/{comment}/edit", "/notifications/"],
    }  # fmt: skip
    for username, paths in pages.items():
        page = new_page(page_factory)
        sign_in(page, live_server, username)
        for path in paths:
            check(page, live_server + path, accessible=True)
    public = new_page(page_factory)
    for path in [
        f"/drafts/{draft}/v/1",
        f"/public/tasks/{task}/outcomes",
        f"/public/tasks/{task}/comment",
    ]:
        check(public, live_server + path, accessible=True)


def test_reflected_payloads_never_run(live_server, page_factory):
    page = new_page(page_factory)
    sign_in(page, live_server, "fgw.li")
    for payload in PAYLOADS:
        quoted = urllib.parse.quote(payload, safe="")
        check(page, f"{live_server}/search/?q={quoted}")
        check(page, f"{live_server}/stats/?by={quoted}&from={quoted}")
    anonymous = new_page(page_factory)
    for payload in PAYLOADS[:12]:
        quoted = urllib.parse.quote(payload, safe="")
        check(anonymous, f"{live_server}/login?next={quoted}")
        check(anonymous, f"{live_server}/nothing-here/{quoted}")
