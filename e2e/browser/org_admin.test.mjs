// Organization administration in the portal, in Debian's chromium: an admin's section for their
// organization (members and roles, bots and their tokens, invitations), and open sign-up for the
// domain of the admin's own confirmed address, which a newcomer then joins from the login page.
// Mail goes by real SMTP to the sink (e2e/python/smtp_sink.py); the tests read it there and
// follow its links as the people it is sent to would. Every step goes through the pages (typing
// and clicking). Screenshots go to $TESSERA_ARTIFACTS/screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

const ORG = 'Kestrel Works';
const DOMAIN = 'kestrel.test';
const ADMIN = { email: `ada.admin@${DOMAIN}`, password: 'admin password 123' };
const MEMBER = { email: `max.member@${DOMAIN}`, password: 'member password 123', name: 'Max Member' };
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
  h.cliWithInput(server, `${MEMBER.password}\n`, 'user', 'create', '--email', MEMBER.email, '--password-stdin',
    '--first-name', 'Max', '--last-name', 'Member', '--org', org.id, '--org-role', 'user');
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  h.stopAll(); // the server and the SMTP sink
});

const heading = (page) => page.locator('h1').first().textContent();
const path = (page) => new URL(page.url()).pathname;

/** The organization's section of the portal. */
const orgSection = (page) => page.locator(`section#org-${org.id}`);

/** A fresh browser context, signed in as the admin on /portal. */
async function adminPortal(shot) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await h.signIn(page, ADMIN, shot);
  assert.equal(path(page), '/portal');
  assert.equal(await h.signedInAs(page), ADMIN.email);
  await orgSection(page).getByRole('heading', { level: 1, name: ORG, exact: true }).waitFor();
  return { context, page };
}

/** Click a button that submits a form, and wait for the page it leads to. */
async function submit(page, button) {
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  return response;
}

test('members and bots: the admin changes a member to guest, removes them, and creates a bot whose token works once shown', async () => {
  const { context, page } = await adminPortal('org-admin-login');
  const section = orgSection(page);
  assert.match(await section.locator('p.muted').first().textContent(), /You are admin of this organization/);

  // The member is listed, as user, with the controls an admin has over them.
  const row = section.locator('tbody tr', { hasText: MEMBER.email });
  await row.waitFor();
  const role = section.getByRole('combobox', { name: `Role of ${MEMBER.name}`, exact: true });
  assert.equal(await role.inputValue(), 'user');
  assert.deepEqual(await role.locator('option').allTextContents(), ['admin', 'user', 'guest']);
  await h.screenshot(page, 'org-admin-members');

  // user → guest; a fresh load of the portal shows the new role.
  await role.selectOption('guest');
  await submit(page, row.getByRole('button', { name: 'Change' }));
  assert.equal(path(page), '/portal');
  await page.goto(`${server.url}/portal`);
  assert.equal(await orgSection(page).getByRole('combobox', { name: `Role of ${MEMBER.name}`, exact: true }).inputValue(), 'guest');
  assert.equal(await orgSection(page).locator('tbody tr', { hasText: MEMBER.email }).locator('option[selected]').textContent(), 'guest');
  await h.screenshot(page, 'org-admin-member-now-guest');

  // Removed: no longer in the table (the admin still is).
  await submit(page, orgSection(page).getByRole('button', { name: `Remove ${MEMBER.name}`, exact: true }));
  assert.equal(path(page), '/portal');
  await page.goto(`${server.url}/portal`);
  const members = orgSection(page).locator('table').first();
  await members.locator('tbody tr', { hasText: ADMIN.email }).waitFor();
  assert.equal(await members.locator('tbody tr', { hasText: MEMBER.email }).count(), 0);
  assert.equal(await orgSection(page).getByRole('button', { name: `Remove ${MEMBER.name}` }).count(), 0);
  await h.screenshot(page, 'org-admin-member-removed');

  // A bot: its token is shown once, on a page of its own.
  assert.equal((await orgSection(page).locator('p.muted', { hasText: 'No bots.' }).count()), 1);
  await orgSection(page).getByLabel("New bot's name").fill('Night shift');
  await h.screenshot(page, 'org-admin-bot-name');
  const created = await submit(page, orgSection(page).getByRole('button', { name: 'Create the bot' }));
  assert.equal(created.status(), 201);
  assert.equal(await heading(page), 'A token for Night shift');
  const token = (await page.locator('#bot-token').textContent()).trim();
  assert.ok(token.length >= 20, `a token, not ${JSON.stringify(token)}`);
  await h.screenshot(page, 'org-admin-bot-token');

  // The token acts as the bot over GraphQL.
  const body = await h.graphqlAs(server, token, '{ me { profile { id firstName } } }');
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.ok(body.data.me.profile.id);
  assert.equal(body.data.me.profile.firstName, 'Night shift');

  // Back in the portal: the bot is listed, with one active token, and the token is not shown again.
  await submit(page, page.getByRole('link', { name: 'Back to the portal' }));
  assert.equal(path(page), '/portal');
  const bots = orgSection(page);
  await bots.getByRole('heading', { level: 3, name: /^Night shift/ }).waitFor();
  await bots.getByRole('button', { name: 'New token for Night shift', exact: true }).waitFor();
  assert.equal(await bots.locator('td', { hasText: /^active$/ }).count(), 1);
  assert.ok(!(await page.content()).includes(token), 'the token is not on the portal page');
  await h.screenshot(page, 'org-admin-bot-listed');
  await context.close();
});

test('invitations: the admin invites, sees it waiting, cancels it, and the mailed link then no longer works', async () => {
  const invitee = 'cancelled.invitee@example.test';
  const { context, page } = await adminPortal();
  const section = orgSection(page);
  assert.equal(await section.getByRole('heading', { name: 'Invitations waiting for an answer' }).count(), 0);

  await section.getByLabel('Email', { exact: true }).fill(invitee);
  await section.getByRole('combobox', { name: 'Role', exact: true }).selectOption('guest');
  await h.screenshot(page, 'org-invitation-filled');
  await submit(page, section.getByRole('button', { name: 'Send the invitation' }));
  assert.equal(path(page), '/portal');

  // Waiting for an answer: listed with its role, and the mail has gone out.
  const waiting = orgSection(page).locator('table', { has: page.getByRole('button', { name: `Cancel the invitation to ${invitee}` }) });
  await orgSection(page).getByRole('heading', { name: 'Invitations waiting for an answer' }).waitFor();
  const row = waiting.locator('tbody tr', { hasText: invitee });
  assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 2), [invitee, 'guest']);
  await h.screenshot(page, 'org-invitation-waiting');
  const mail = await h.waitForMail(sink, invitee, `You are invited to join ${ORG} on tessera`);
  const link = h.linkIn(mail, `${server.url}/invitations/accept?token=`);
  console.log(`invitation: mail ${mail.file} to ${mail.to}, "${mail.subject}"`);

  // Cancelled: gone from the portal.
  await submit(page, orgSection(page).getByRole('button', { name: `Cancel the invitation to ${invitee}`, exact: true }));
  assert.equal(path(page), '/portal');
  await page.goto(`${server.url}/portal`);
  await orgSection(page).getByRole('heading', { name: 'Invite someone' }).waitFor();
  assert.equal(await orgSection(page).getByRole('heading', { name: 'Invitations waiting for an answer' }).count(), 0);
  assert.ok(!(await orgSection(page).textContent()).includes(invitee));
  await h.screenshot(page, 'org-invitation-cancelled');
  await context.close();

  // The invitee follows the link in a browser of their own: it no longer works.
  const inviteeContext = await browser.newContext();
  const invited = await inviteeContext.newPage();
  const response = await invited.goto(link);
  assert.equal(response.status(), 400);
  assert.equal(await heading(invited), 'This link no longer works');
  assert.equal(await invited.locator('input[name=password]').count(), 0);
  await h.screenshot(invited, 'org-invitation-link-dead');
  await inviteeContext.close();
});

test('open sign-up: the admin confirms their address, opens their domain, and a newcomer joins from the login page', async () => {
  const newcomer = { email: `newcomer@${DOMAIN}`, password: 'newcomer password 123' };
  const { context, page } = await adminPortal();

  // Not confirmed yet: the portal says so, and opening sign-up is refused.
  const confirm = page.getByRole('button', { name: 'Send me a confirmation link' });
  await confirm.waitFor();
  const signupForm = orgSection(page).locator('form[action$="/signup-domains"]');
  assert.equal(await signupForm.locator('input[name=domain]').inputValue(), DOMAIN);
  assert.equal(await orgSection(page).getByText('Closed: people join by invitation only.').count(), 1);
  const refused = await submit(page, signupForm.getByRole('button', { name: 'Open sign-up' }));
  assert.equal(refused.status(), 403);
  await h.screenshot(page, 'signup-open-refused-unconfirmed');
  console.log(`open sign-up before confirming: ${refused.status()} "${(await heading(page)).trim()}": ${(await page.getByRole('alert').textContent()).trim()}`);

  // The confirmation link, by mail.
  await page.goto(`${server.url}/portal`);
  await submit(page, page.getByRole('button', { name: 'Send me a confirmation link' }));
  assert.equal(await heading(page), 'Check your e-mail');
  await h.screenshot(page, 'signup-confirm-sent');
  const mail = await h.waitForMail(sink, ADMIN.email, 'Confirm your e-mail address for tessera');
  const verify = h.linkIn(mail, `${server.url}/email/verify?token=`);
  console.log(`confirmation: mail ${mail.file} to ${mail.to}, "${mail.subject}"`);
  await page.goto(verify);
  assert.equal(await heading(page), 'Address confirmed');
  await h.screenshot(page, 'signup-address-confirmed');
  await submit(page, page.getByRole('link', { name: 'Continue' }));
  assert.equal(path(page), '/portal');
  assert.equal(await page.getByRole('button', { name: 'Send me a confirmation link' }).count(), 0);

  // Open sign-up for the domain of that address, as user.
  const form = orgSection(page).locator('form[action$="/signup-domains"]');
  assert.equal(await form.locator('input[name=domain]').inputValue(), DOMAIN);
  await form.getByLabel('Role of people who join this way').selectOption('user');
  await h.screenshot(page, 'signup-open-filled');
  await submit(page, form.getByRole('button', { name: 'Open sign-up' }));
  assert.equal(path(page), '/portal');
  const open = orgSection(page).locator('table', { has: page.getByRole('button', { name: `Close sign-up for ${DOMAIN}` }) });
  assert.deepEqual((await open.locator('tbody tr td').allTextContents()).slice(0, 2), [`@${DOMAIN}`, 'user']);
  assert.match(await orgSection(page).textContent(), new RegExp(`join at ${server.url.replaceAll('.', '\\.')}/signup`));
  await h.screenshot(page, 'signup-opened');

  // A newcomer, in a browser of their own, from the login page.
  const newContext = await browser.newContext();
  const joiner = await newContext.newPage();
  await joiner.goto(`${server.url}/login`);
  await joiner.waitForSelector('input[name=password]');
  await submit(joiner, joiner.getByRole('link', { name: 'Join your organization' }));
  assert.equal(path(joiner), '/signup');
  assert.equal(await heading(joiner), 'Join your organization');
  await joiner.fill('input[name=email]', newcomer.email);
  await h.screenshot(joiner, 'signup-newcomer-address');
  await submit(joiner, joiner.getByRole('button', { name: 'Send the link' }));
  assert.equal(await heading(joiner), 'Check your e-mail');
  await h.screenshot(joiner, 'signup-newcomer-check-your-mail');

  const join = await h.waitForMail(sink, newcomer.email, `Join ${ORG} on tessera`);
  const link = h.linkIn(join, `${server.url}/invitations/accept?token=`);
  console.log(`sign-up: mail ${join.file} to ${join.to}, "${join.subject}"`);
  await joiner.goto(link);
  assert.equal(await heading(joiner), `Join ${ORG}`);
  assert.match(await joiner.locator('p.lead').textContent(), new RegExp(`for ${newcomer.email.replaceAll('.', '\\.')}, to join as user`));
  await joiner.fill('input[name=first_name]', 'Nico');
  await joiner.fill('input[name=last_name]', 'Newcomer');
  await joiner.fill('input[name=password]', newcomer.password);
  await h.screenshot(joiner, 'signup-newcomer-join');
  await submit(joiner, joiner.getByRole('button', { name: 'Create my account and join' }));
  assert.equal(path(joiner), '/portal');
  assert.equal(await h.signedInAs(joiner), newcomer.email);
  // Joining by the mailed link proved the address; as a user, no administration section.
  assert.equal(await joiner.getByRole('button', { name: 'Send me a confirmation link' }).count(), 0);
  assert.equal(await joiner.locator(`section#org-${org.id}`).count(), 0);
  await h.screenshot(joiner, 'signup-newcomer-portal');
  await newContext.close();

  // The admin sees the newcomer among the members, as user.
  await page.goto(`${server.url}/portal`);
  const role = orgSection(page).getByRole('combobox', { name: 'Role of Nico Newcomer', exact: true });
  assert.equal(await role.inputValue(), 'user');
  await h.screenshot(page, 'signup-newcomer-member');
  await context.close();
});
