// Runs a module script in headless Firefox ESR (Debian's firefox-esr, driven by
// puppeteer-core over WebDriver BiDi) against the package's browser build and
// prints the script's JSON result: the Firefox counterpart of
// chromium-runner.mjs, with the same contract. Meant to run inside a private
// network namespace (see runInFirefox in browser.ts): it serves dist/ on
// 127.0.0.1 and loads a page that imports dist/browser.js.
//
//   node firefox-runner.mjs DIST_DIR SCRIPT_FILE [worker]
//
// With "worker" the script runs in a dedicated module worker the page starts
// (see page-server.mjs) instead of in the page itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { parseRunnerArgs, printResult, startPageServer, workerResult } from "./page-server.mjs";

// On top of the prefs puppeteer writes into its temporary profile (normandy,
// the health report and extension discovery pointed at a dummy host; app,
// extension and search updates and safebrowsing lookups off), turn off
// whatever else Firefox would reach out to in the background. Checked with
// MOZ_LOG=nsHostResolver:5,nsHttp:3: with these and the environment below
// Firefox looks up only 127.0.0.1 and localhost (without them, ESR fetched a
// dozen remote settings collections from firefox.settings.services.mozilla.com,
// ignoring the server pref).
const quiet = {
  // updates
  "app.update.enabled": false,
  "app.update.auto": false,
  "app.update.staging.enabled": false,
  "app.update.service.enabled": false,
  "browser.search.update": false,
  "extensions.update.enabled": false,
  "extensions.systemAddon.update.enabled": false,
  "extensions.systemAddon.update.url": "",
  "extensions.getAddons.cache.enabled": false,
  "extensions.blocklist.enabled": false,
  "media.gmp-manager.updateEnabled": false,
  "media.gmp-manager.url": "",
  "media.gmp-gmpopenh264.enabled": false,
  "media.gmp-gmpopenh264.autoupdate": false,
  "media.gmp-widevinecdm.enabled": false,
  "media.gmp-widevinecdm.autoupdate": false,
  // telemetry and data reporting
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.unified": false,
  "toolkit.telemetry.archive.enabled": false,
  "toolkit.telemetry.server": "",
  "toolkit.telemetry.newProfilePing.enabled": false,
  "toolkit.telemetry.shutdownPingSender.enabled": false,
  "toolkit.telemetry.updatePing.enabled": false,
  "toolkit.telemetry.bhrPing.enabled": false,
  "toolkit.telemetry.firstShutdownPing.enabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "toolkit.coverage.opt-out": true,
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.usage.uploadEnabled": false,
  "browser.ping-centre.telemetry": false,
  "browser.newtabpage.activity-stream.feeds.telemetry": false,
  "browser.newtabpage.activity-stream.telemetry": false,
  "browser.crashReports.unsubmittedCheck.autoSubmit2": false,
  "breakpad.reportURL": "",
  // safebrowsing (list downloads as well as lookups)
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.downloads.remote.enabled": false,
  "browser.safebrowsing.blockedURIs.enabled": false,
  "browser.safebrowsing.passwords.enabled": false,
  "browser.safebrowsing.provider.google.updateURL": "",
  "browser.safebrowsing.provider.google.gethashURL": "",
  "browser.safebrowsing.provider.google4.updateURL": "",
  "browser.safebrowsing.provider.google4.gethashURL": "",
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.safebrowsing.provider.mozilla.gethashURL": "",
  "privacy.trackingprotection.enabled": false,
  // captive portal and connectivity checks
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "captivedetect.canonicalURL": "",
  // normandy, studies, experiments
  "app.normandy.enabled": false,
  "app.normandy.api_url": "",
  "app.shield.optoutstudies.enabled": false,
  "messaging-system.rsexperimentloader.enabled": false,
  "nimbus.rollouts.enabled": false,
  // remote settings: ESR ignores an override of the server unless it runs
  // "as in tests" (MOZ_DISABLE_NONLOCAL_CONNECTIONS=1, set below), and then
  // skips all remote settings activity for this dummy server
  "services.settings.server": "data:,#remote-settings-dummy/v1",
  "services.settings.poll_interval": 86400 * 365,
  // everything else that opens connections by itself
  "network.trr.mode": 5,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.predictor.enabled": false,
  "network.http.speculative-parallel-limit": 0,
  "dom.push.enabled": false,
  "dom.push.connection.enabled": false,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "geo.provider.network.url": "",
  "browser.newtabpage.enabled": false,
  "browser.newtabpage.activity-stream.feeds.system.topstories": false,
  "browser.newtabpage.activity-stream.feeds.section.topstories": false,
  "browser.newtabpage.activity-stream.feeds.snippets": false,
  "browser.newtabpage.activity-stream.showSponsored": false,
  "browser.newtabpage.activity-stream.showSponsoredTopSites": false,
  "browser.topsites.contile.enabled": false,
  "browser.urlbar.quicksuggest.enabled": false,
  "browser.discovery.enabled": false,
  "extensions.htmlaboutaddons.recommendations.enabled": false,
  "identity.fxaccounts.enabled": false,
  "services.sync.enabled": false,
  "security.OCSP.enabled": 0,
  "security.remote_settings.crlite_filters.enabled": false,
  "security.remote_settings.intermediates.enabled": false,
};

const { distDir, script, worker } = await parseRunnerArgs();
const server = await startPageServer(distDir, script, { worker });
// Firefox writes into HOME (~/.config/mozilla, ~/.cache/mozilla, ~/Downloads)
// even with a separate profile: give it a temporary one. (runInFirefox also
// points TMPDIR into a directory it removes, so nothing stays behind when a
// run is killed.)
const home = mkdtempSync(join(tmpdir(), "wasmrtc-firefox-home-"));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_CACHE_HOME: join(home, ".cache"),
  XDG_DATA_HOME: join(home, ".local/share"), MOZ_CRASHREPORTER_DISABLE: "1",
  // What Mozilla's own test harnesses set: Firefox then refuses (aborts on) any
  // connection to a non-local address, and honours the remote settings override.
  MOZ_DISABLE_NONLOCAL_CONNECTIONS: "1" };
let browser;
let result;
const logs = [];
try {
  browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr",
    headless: true,
    env,
    timeout: 90000, // the first start on a fresh profile can be slow
    protocolTimeout: 90000,
    // puppeteer makes a fresh temporary profile for every launch and removes it on close.
    extraPrefsFirefox: {
      ...quiet,
      "permissions.default.camera": 1,
      "permissions.default.microphone": 1,
      "media.peerconnection.ice.loopback": true,
      "media.peerconnection.ice.obfuscate_host_addresses": false,
    },
  });
  const page = await browser.newPage();
  // Over BiDi a dedicated worker's console messages also arrive on the page.
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e?.message ?? e}`));
  await page.goto(server.url);
  await page.waitForFunction(() => window.__ready === true, { timeout: 20000 });
  const value = await page.evaluate(() => window.__run());
  result = worker ? workerResult(value, logs) : { ok: true, value, logs };
} catch (e) {
  result = { ok: false, error: String(e?.stack ?? e), logs };
} finally {
  await browser?.close().catch(() => {});
  server.close();
  rmSync(home, { recursive: true, force: true });
}
printResult(result);
