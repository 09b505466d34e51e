// Drives the admin status page in Debian's headless Chromium through playwright-core (no browser download).
//
//   node status-page.test.js <url> <token> <screenshot.png> <pool/backend> <route> [<passive pool/backend>
//        [<unused pool/backend> [<ejected pool/backend>]]]
//
// 1. Opens <url>, types the read token into the token box and loads the page.
// 2. Waits until the page shows backend <pool/backend> taking requests (healthy or unknown), route <route> with
//    requests and a requests/s figure, the config version and the cluster members, and the response cache: its tile
//    and members table when GET /api/v1/cache answers, else the line saying the node has none.
//    Then the charts: the node's and <route>'s requests/s and latency charts drawn with at least two points, the p99
//    beside the average (the summary tile and the routes table's p99 column with a value in ms); a backend of a pool
//    without an active check that gets traffic shown "serving (passive)" with its last success, one that gets none
//    "no traffic yet", one that outlier detection ejected "ejected (outlier)".
// 3. Prints "PAGE-READY" and reads one line from standard input: the state the backend is about to reach
//    (for example "unhealthy" or "draining"); the test makes it happen.
// 4. Waits for the page (refreshing on its own) to show that state, saves <screenshot.png>, prints "OK".
// Any failure: a screenshot anyway, the reason on standard error, exit code 1.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");

const [url, token, screenshot, backend, route, passiveBackend, unusedBackend, ejectedBackend] = process.argv.slice(2);
if (!url || !token || !screenshot || !backend || !route) {
  console.error("usage: node status-page.test.js <url> <token> <screenshot.png> <pool/backend> <route>");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function nextLine() {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once("line", line => { resolve(line.trim()); rl.close(); });
    rl.once("close", () => reject(new Error("standard input closed before the expected state was sent")));
  });
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-chromium-"));
  // A fresh --user-data-dir: Playwright passes it for a persistent context (it refuses it among the args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [];
  // The page's first reading, before the token is typed, is refused (401): the browser logs that as a failed
  // resource, which is expected; so is one 501 from /api/v1/cache on a node without a response cache. Script errors
  // and anything else logged as an error are not.
  page.on("console", m => {
    const expected = m.text().includes("status of 401")
      || (m.text().includes("status of 501") && (m.location().url || "").endsWith("/api/v1/cache"));
    if (m.type() === "error" && !expected) consoleErrors.push(m.text());
  });
  page.on("pageerror", e => consoleErrors.push(String(e)));
  // The page runs under a strict Content-Security-Policy: anything it blocks is a failure too.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation",
      e => window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
  });
  try {
    await page.goto(url, { waitUntil: "load", timeout: 15000 });
    await page.fill("#token", token);
    await page.click("#auth button[type=submit]");

    const stateCell = page.locator(`tr[data-backend="${backend}"] td.state`);
    await page.waitForFunction(key => {
      const td = document.querySelector(`tr[data-backend="${key}"] td.state`);
      return td && (td.textContent === "healthy" || td.textContent === "unknown");
    }, backend, { timeout: 20000 });
    // Two readings with traffic between them give a rate.
    await page.waitForFunction(name => {
      const tr = document.querySelector(`#routes tr[data-route="${name}"]`);
      return tr && Number(tr.querySelector("td.requests").textContent) > 0
        && /^[0-9.]+$/.test(tr.querySelector("td.rps").textContent);
    }, route, { timeout: 20000 });
    // The history the node kept: two intervals of the node's and the route's traffic, drawn.
    await page.waitForFunction(name => {
      const points = sel => { const p = document.querySelector(sel); return p ? Number(p.dataset.points) : 0; };
      return points('[data-chart="node-rps"] path.series') >= 2
        && points(`[data-chart="route-${name}-rps"] path.series`) >= 2
        && points('[data-chart="node-latency"] path.series.s1') >= 2
        && /M[0-9.]+ [0-9.]+h0\.01L/.test(document.querySelector('[data-chart="node-rps"] path.series').getAttribute("d"));
    }, route, { timeout: 40000 });
    const chartInfo = await page.evaluate(name => {
      const sel = `[data-chart="route-${name}-latency"]`;
      return {
        rps: document.querySelector('[data-chart="node-rps"] path.series').dataset.points,
        p99Legend: document.querySelector(sel + " figcaption").textContent,
        p99Header: [...document.querySelectorAll("#routes thead th")].map(th => th.textContent).join("|"),
        p99Cell: document.querySelector(`#routes tr[data-route="${name}"] td.p99`).textContent,
        tile: document.getElementById("total-latency").textContent,
        charts: document.querySelectorAll("#node-charts figure.chart svg").length,
      };
    }, route);
    if (!/avg [0-9.]+ m?s p99 [0-9.]+ m?s/.test(chartInfo.p99Legend)) {
      throw new Error("route latency chart lacks avg and p99: " + chartInfo.p99Legend);
    }
    if (!/avg latency\|p99 latency/.test(chartInfo.p99Header)) throw new Error("no p99 column: " + chartInfo.p99Header);
    if (!/ m?s · [0-9.]+ m?s$/.test(chartInfo.tile)) throw new Error("latency tile lacks p99: " + chartInfo.tile);
    if (chartInfo.charts !== 4) throw new Error("node charts: " + chartInfo.charts);
    // The table's p99 is the last interval's: there is one once an interval with traffic ended.
    await page.waitForFunction(name => /^[0-9.]+ m?s$/.test(
      document.querySelector(`#routes tr[data-route="${name}"] td.p99`).textContent), route, { timeout: 20000 });
    let passive = "";
    if (passiveBackend) {
      await page.waitForFunction(key => {
        const tr = document.querySelector(`tr[data-backend="${key}"]`);
        return tr && tr.querySelector("td.state").textContent === "serving (passive)"
          && /last success [0-9]+ s ago/.test(tr.querySelector("td.traffic").textContent);
      }, passiveBackend, { timeout: 20000 });
      passive += " passive=" + JSON.stringify(await page.textContent(`tr[data-backend="${passiveBackend}"] td.traffic`));
    }
    if (unusedBackend) {
      await page.waitForFunction(key => {
        const td = document.querySelector(`tr[data-backend="${key}"] td.state`);
        return td && td.textContent === "no traffic yet" && td.className.includes("no-traffic");
      }, unusedBackend, { timeout: 20000 });
      passive += " unused=no-traffic";
    }
    if (ejectedBackend) {
      await page.waitForFunction(key => {
        const tr = document.querySelector(`tr[data-backend="${key}"]`);
        const td = tr && tr.querySelector("td.state");
        return td && td.textContent === "ejected (outlier)" && td.className.includes("ejected")
          && /ejected until/.test(tr.querySelector("td.traffic").textContent);
      }, ejectedBackend, { timeout: 20000 });
      passive += " ejected=" + JSON.stringify(await page.textContent(`tr[data-backend="${ejectedBackend}"] td.traffic`));
    }
    const version = await page.textContent("#config-version");
    const members = await page.textContent("#members-count");
    // Either the cache's figures (a hit ratio or "–" before any lookup, a members table) or "no response cache".
    await page.waitForFunction(() => {
      const none = document.getElementById("cache-none");
      const tile = document.getElementById("cache");
      const shown = tile && !tile.hidden && /entries/.test(document.getElementById("cache-size").textContent)
        && document.querySelectorAll("#cache-members tbody tr").length > 0;
      return (none && !none.hidden && tile.hidden) || shown;
    }, null, { timeout: 20000 });
    const cache = await page.evaluate(() => document.getElementById("cache-none").hidden
      ? "ratio=" + document.getElementById("cache-ratio").textContent : "none");
    if (!/^\d+$/.test(version)) throw new Error("config version not shown: " + version);
    if (!(Number(members) >= 1)) throw new Error("cluster members not shown: " + members);
    const rps = await page.textContent(`#routes tr[data-route="${route}"] td.rps`);
    const before = await stateCell.textContent();
    if (before !== "healthy" && before !== "unknown") throw new Error("backend not taking requests yet: " + before);
    console.log("PAGE-READY backend=" + (await stateCell.textContent()) + " version=" + version + " members=" + members
      + " rps=" + rps + " cache=" + cache + " chart-points=" + chartInfo.rps + " p99=" + chartInfo.p99Cell + passive);

    const expected = await nextLine();
    await page.waitForFunction(([key, want]) => {
      const td = document.querySelector(`tr[data-backend="${key}"] td.state`);
      // "ejected" reads "ejected (outlier)"
      return td && (td.textContent === want || td.textContent.startsWith(want + " ("));
    }, [backend, expected], { timeout: 30000 });
    const cls = await stateCell.getAttribute("class");
    if (!cls.includes(expected)) throw new Error("state cell is not styled as " + expected + ": " + cls);
    if (consoleErrors.length) throw new Error("console errors: " + consoleErrors.join("; "));
    const violations = await page.evaluate(() => window.__cspViolations);
    if (violations.length) throw new Error("Content-Security-Policy violations: " + violations.join("; "));
    const styled = await page.evaluate(() => getComputedStyle(document.querySelector("th")).fontWeight);
    if (String(styled) !== "600") throw new Error("the page's style sheet did not apply (th font-weight " + styled + ")");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log("OK backend=" + expected);
  } catch (e) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    console.error("FAILED: " + e.message);
    process.exitCode = 1;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => { console.error("FAILED: " + e.stack); process.exit(1); });
