// Accounts by e-mail, in Debian's chromium: the server sends real SMTP to a sink
// (e2e/python/smtp_sink.py) that writes each message to a folder; the tests read the message there
// and follow its link in the browser, as the person it was sent to would. An invitation to an
// organization, accepted with a new account; and a forgotten password, reset. Every step goes
// through the pages (typing and clicking). Screenshots go to $TESSERA_ARTIFACTS/screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

const ORG = 'Northwind Studio';
const ADMIN = { email: 'ada.admin@example.test', password: 'admin password 123' };
const FORGETFUL = { email: 'forgetful@example.test', password: 'first password 123' };
let sink;
let server;
let browser;
let org;

before(async () => {
  sink = await h.startMailSink();
  server = await h.startDemo(sink.env);
  org = h.cli(server, 'org', 'create', '--name', ORG);
  h.cliWithInput(server, `${ADMIN.password}\n`, 'user', 'create', '--email', ADMIN.email, '--password-stdin',
    '--first-name', 'Ada', '--last-name', 'Admin', '--org', org.id, '--org-role', 'admin');
  h.cliWithInput(server, `${FORGETFUL.password}\n`, 'user', 'create', '--email', FORGETFUL.email, '--password-stdin',
    '--first-name', 'Fran', '--last-name', 'Forgetful', '--org', org.id, '--org-role', 'user');
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  h.stopAll(); // the server and the SMTP sink
});

const heading = (page) => page.locator('h1').first().textContent();

test('invitation by mail: the admin invites, the invitee follows the link, creates the account and lands signed in', async () => {
  const invitee = { email: 'new.colleague@example.test', password: 'invitee password 123' };

  // The admin, in their own browser, signs in and invites an address from the portal.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await admin.goto(`${server.url}/login`);
  await h.signIn(admin, ADMIN, 'invitation-admin-login');
  assert.equal(new URL(admin.url()).pathname, '/portal');
  assert.equal(await h.signedInAs(admin), ADMIN.email);
  const section = admin.locator('section', { has: admin.getByRole('heading', { level: 1, name: ORG, exact: true }) });
  await section.getByRole('heading', { name: 'Invite someone' }).waitFor();
  await section.locator('input[name=email]').fill(invitee.email);
  await section.getByLabel('Role', { exact: true }).selectOption('admin');
  await h.screenshot(admin, 'invitation-admin-invites');
  await Promise.all([admin.waitForNavigation(), section.getByRole('button', { name: 'Send the invitation' }).click()]);
  assert.equal(new URL(admin.url()).pathname, '/portal');
  await h.screenshot(admin, 'invitation-sent');
  await adminContext.close();

  // The invitee gets the mail…
  const mail = await h.waitForMail(sink, invitee.email, `You are invited to join ${ORG} on tessera`);
  const link = h.linkIn(mail, `${server.url}/invitations/accept?token=`);
  console.log(`invitation: mail ${mail.file} to ${mail.to}, "${mail.subject}"`);

  // …and follows its link in a browser of their own (no session there).
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  assert.equal(await heading(page), `Join ${ORG}`);
  assert.match(await page.locator('p.lead').textContent(), new RegExp(`for ${invitee.email.replaceAll('.', '\\.')}, to join as admin`));
  await h.screenshot(page, 'invitation-join');
  await page.fill('input[name=first_name]', 'Nina');
  await page.fill('input[name=last_name]', 'Colleague');
  await page.fill('input[name=password]', invitee.password);
  await h.screenshot(page, 'invitation-join-filled');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Create my account and join' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/portal');
  assert.equal(await h.signedInAs(page), invitee.email);
  // A member of the organization now, as an admin: the portal offers its invitation form.
  const joined = page.locator('section', { has: page.getByRole('heading', { level: 1, name: ORG, exact: true }) });
  await joined.getByRole('heading', { name: 'Invite someone' }).waitFor();
  await h.screenshot(page, 'invitation-accepted-portal');
  await context.close();
});

test('password reset by mail: forgot → mail → new password → old password refused, new one signs in', async () => {
  const newPassword = 'second password 456';
  const context = await browser.newContext();
  const page = await context.newPage();

  // From the login page to the form that sends the link.
  await page.goto(`${server.url}/login`);
  await page.waitForSelector('input[name=password]');
  await h.screenshot(page, 'password-reset-login');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Forgot your password?' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/password/forgot');
  await page.fill('input[name=email]', FORGETFUL.email);
  await h.screenshot(page, 'password-reset-forgot');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Send the link' }).click()]);
  assert.equal(await heading(page), 'Check your e-mail');
  await h.screenshot(page, 'password-reset-check-your-mail');

  // The mail's link, opened in the same browser.
  const mail = await h.waitForMail(sink, FORGETFUL.email, 'Reset your tessera password');
  const link = h.linkIn(mail, `${server.url}/password/reset?token=`);
  console.log(`password reset: mail ${mail.file} to ${mail.to}, "${mail.subject}"`);
  await page.goto(link);
  assert.equal(await heading(page), 'Choose a new password');
  await page.fill('input[name=password]', newPassword);
  await h.screenshot(page, 'password-reset-new-password');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Change my password' }).click()]);
  assert.equal(await heading(page), 'Password changed');
  await h.screenshot(page, 'password-reset-changed');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Sign in' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/login');

  // The old password no longer works…
  await h.signIn(page, FORGETFUL);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal((await page.getByRole('alert').textContent()).trim(), 'The email or password is not correct.');
  await h.screenshot(page, 'password-reset-old-password-refused');

  // …and the new one does.
  await h.signIn(page, { ...FORGETFUL, password: newPassword });
  assert.equal(new URL(page.url()).pathname, '/portal');
  assert.equal(await h.signedInAs(page), FORGETFUL.email);
  await h.screenshot(page, 'password-reset-signed-in');
  await context.close();
});
