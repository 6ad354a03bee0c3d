// Drives the PeerChat web page in Debian's chromium for tests/Pester/WebPage.Tests.ps1, one step at a
// time: each stdin line is a JSON request {"id","step",...}, each answer one stdout line
// {"id","ok","result"|"error"}. Controls are found only by their accessible names (getByRole,
// getByLabel), which is also the check that they have them. Every wait is bounded by STEP_TIMEOUT_MS.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const STEP_TIMEOUT_MS = 20000;
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// Chromium logs a refused WebSocket connection as a console error: expected only while the test
// has the server stopped, and only these.
const EXPECTED_WHILE_DOWN = /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed/;

// launch() starts chromium on a fresh temporary profile (user-data-dir) and removes it on close.
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const pages = new Map();
const external = [];
const consoleErrors = [];
const expectedErrors = [];
let serverDown = false;

function escapeRegex(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

// A conversation's button: its title, then "N unread" when there is any.
function conversationButton(page, title) {
  return page.getByRole('navigation', { name: 'Conversations and people' })
    .getByRole('button', { name: new RegExp(`^${escapeRegex(title)}( \\d+ unread)?$`) });
}

function messageLog(page) { return page.getByRole('log'); }

function messageInLog(page, text) {
  return messageLog(page).getByRole('listitem').filter({ has: page.getByText(text, { exact: true }) });
}

async function openPage({ name, url }) {
  // Separate contexts: two users logged in side by side, as two people would be.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.route('**/*', route => {
    const address = new URL(route.request().url());
    if (address.hostname === '127.0.0.1') return route.continue();
    external.push(address.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('websocket', socket => {
    if (new URL(socket.url()).hostname !== '127.0.0.1') external.push(socket.url());
  });
  page.on('console', message => {
    if (message.type() !== 'error') return;
    const entry = `${name}: ${message.text()}`;
    if (serverDown && EXPECTED_WHILE_DOWN.test(message.text())) expectedErrors.push(entry);
    else consoleErrors.push(entry);
  });
  page.on('pageerror', error => consoleErrors.push(`${name}: ${error.message}`));
  await page.goto(url);
  pages.set(name, page);
  return { title: await page.title() };
}

async function logIn({ name, user, password, signUp }) {
  const page = pages.get(name);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: signUp ? 'Sign up' : 'Log in', exact: true }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return { status: await page.getByRole('status').textContent() };
}

const steps = {
  open: openPage,
  signup: args => logIn({ ...args, signUp: true }),
  login: args => logIn({ ...args, signUp: false }),

  async logout({ name }) {
    const page = pages.get(name);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  },

  async loginFails({ name, user, password }) {
    const page = pages.get(name);
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    const alert = page.getByRole('main').getByRole('alert');
    await alert.filter({ hasText: /\S/ }).waitFor();
    return { alert: await alert.textContent() };
  },

  async conversation({ name, title }) {
    const page = pages.get(name);
    await conversationButton(page, title).click();
    await page.getByRole('heading', { name: title, exact: true }).waitFor();
  },

  async join({ name, room }) {
    const page = pages.get(name);
    await page.getByLabel('Room name').fill(room);
    await page.getByRole('button', { name: 'Join room' }).click();
    await page.getByRole('heading', { name: `#${room}`, exact: true }).waitFor();
  },

  async leave({ name }) {
    const page = pages.get(name);
    await page.getByRole('button', { name: 'Leave room' }).click();
    await page.getByRole('heading', { name: 'everyone', exact: true }).waitFor();
  },

  async direct({ name, user }) {
    const page = pages.get(name);
    await page.getByRole('button', { name: `Message ${user}`, exact: true }).click();
    await page.getByRole('heading', { name: `@${user}`, exact: true }).waitFor();
  },

  async directByName({ name, user }) {
    const page = pages.get(name);
    await page.getByLabel('User to message').fill(user);
    await page.getByRole('button', { name: 'Open conversation' }).click();
    await page.getByRole('heading', { name: `@${user}`, exact: true }).waitFor();
  },

  // Signs up with keys only (Tab, Enter), then types a message into wherever focus went after login.
  async keyboardSignup({ name, user, password, text }) {
    const page = pages.get(name);
    await page.getByLabel('User name').focus();
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await messageInLog(page, text).first().waitFor();
    return { focusedBeforeEnter: focused };
  },

  async waitOnline({ name, user }) {
    await pages.get(name).getByRole('button', { name: `Message ${user}`, exact: true }).waitFor();
  },

  async waitOffline({ name, user }) {
    await pages.get(name).getByRole('button', { name: `Message ${user}`, exact: true }).waitFor({ state: 'detached' });
  },

  async send({ name, text }) {
    const page = pages.get(name);
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill(text);
    await box.press('Enter');
    await messageInLog(page, text).first().waitFor();
    return { box: await box.inputValue() };
  },

  async waitMessage({ name, text, from }) {
    const page = pages.get(name);
    const item = messageInLog(page, text).first();
    await item.waitFor();
    const itemText = await item.textContent();
    if (from && !itemText.startsWith(from)) throw new Error(`"${text}" is shown as from "${itemText}", not ${from}.`);
    return { item: itemText };
  },

  async waitUnread({ name, title, count }) {
    const page = pages.get(name);
    const label = count > 0 ? `${title} ${count} unread` : title;
    await page.getByRole('navigation', { name: 'Conversations and people' })
      .getByRole('button', { name: label, exact: true }).waitFor();
  },

  async messages({ name }) {
    const items = messageLog(pages.get(name)).getByRole('listitem');
    return { texts: await items.evaluateAll(nodes => nodes.map(node => node.querySelector('.text')?.textContent ?? node.textContent)) };
  },

  async olderPage({ name, expectText }) {
    const page = pages.get(name);
    const button = page.getByRole('button', { name: 'Load older messages' });
    await button.click();
    await messageInLog(page, expectText).first().waitFor();
    return { olderButtonVisible: await button.isVisible() };
  },

  async olderButton({ name }) {
    return { visible: await pages.get(name).getByRole('button', { name: 'Load older messages' }).isVisible() };
  },

  async xss({ name, text }) {
    const page = pages.get(name);
    const item = messageInLog(page, text).first();
    await item.waitFor();
    return {
      pwned: await page.evaluate(() => typeof window.pwned),
      elementsInLog: await messageLog(page).evaluate(log => log.querySelectorAll('script, img').length),
    };
  },

  async serverDown({ down }) { serverDown = Boolean(down); },

  // Keeps a page from reaching the server (a network outage on its side), so that what is sent
  // meanwhile can only come back to it from history.
  async offline({ name, offline }) { await pages.get(name).context().setOffline(Boolean(offline)); },

  async waitConnection({ name, pattern }) {
    const status = pages.get(name).getByRole('banner').getByRole('status');
    await status.filter({ hasText: new RegExp(pattern) }).waitFor();
    return { status: await status.textContent() };
  },

  async fit({ name, width, height }) {
    const page = pages.get(name);
    await page.setViewportSize({ width, height });
    return page.evaluate(() => ({
      innerWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      bodyScrollWidth: document.body.scrollWidth,
    }));
  },

  async report() { return { external, consoleErrors, expectedErrors }; },
};

async function run(line) {
  let request;
  try { request = JSON.parse(line); } catch { return { ok: false, error: `not JSON: ${line}` }; }
  const step = steps[request.step];
  if (!step) return { id: request.id, ok: false, error: `no step ${request.step}` };
  try {
    return { id: request.id, ok: true, result: (await step(request)) ?? null };
  } catch (error) {
    return { id: request.id, ok: false, error: String(error?.message ?? error) };
  }
}

async function quit(code) {
  await browser.close().catch(() => {});
  process.exit(code);
}

// Steps run one after another, in the order they came.
let queue = Promise.resolve();
const input = createInterface({ input: process.stdin });
input.on('line', line => {
  queue = queue.then(async () => {
    if (line.trim() === '') return;
    if (JSON.parse(line).step === 'quit') { await quit(0); return; }
    process.stdout.write(JSON.stringify(await run(line)) + '\n');
  });
});
// The test ended (or died) without saying quit: never leave a browser behind.
input.on('close', () => { queue = queue.then(() => quit(0)); });
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
