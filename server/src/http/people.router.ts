// People administration (admin, `managePeople`): GET /api/admin/people lists everyone in people.yaml,
// disabled people too (never a password hash; contacts as personView gives them to admins, with ?contacts=1),
// POST /api/admin/people adds a person (the password given, or a temporary one made and shown in this
// answer only), PATCH /api/admin/people/:username changes name, role, cells or disabled. Every change
// is written to people.yaml at once and audited (auth/people-admin.ts).
import { Router, type Request } from 'express';
import type { Person } from '@citygrid/contract';
import { requireRole, sessionOf } from '../auth/middleware.js';
import { issuesText, personAddSchema, personPatchSchema, type PeopleAdmin } from '../auth/people-admin.js';
import { personView, type PersonView } from '../auth/people-view.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';

export type AdminPersonView = PersonView & { disabled: boolean };

/** Contacts (personal data) only when asked for (`?contacts=1`): the list itself does not need them. */
const adminView = (p: Person, contacts = false): AdminPersonView => {
  const { contacts: handles, ...view } = personView(p, 'admin');
  return { ...view, ...(contacts && handles ? { contacts: handles } : {}), disabled: p.disabled === true };
};

/** The people administration, or 503 where this server runs without it. */
export function peopleAdminOf(deps: Pick<AppDeps, 'people'>): PeopleAdmin {
  if (!deps.people) throw Errors.PEOPLE_FILE_UNWRITABLE('people administration is not running on this server');
  return deps.people;
}

const usernameParam = (req: Request): string => String(req.params.username ?? '').slice(0, 64);

export function peopleRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/admin/people', requireRole('managePeople'), (req, res) => {
    const contacts = (req.query as Record<string, unknown>).contacts;
    if (contacts !== undefined && contacts !== '1' && contacts !== '0') throw Errors.QUERY_INVALID('contacts', 'must be 1 or 0');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ people: peopleAdminOf(deps).list().map((p) => adminView(p, contacts === '1')) });
  });

  router.post('/admin/people', requireRole('managePeople'), async (req, res) => {
    const parsed = personAddSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw Errors.PERSON_INVALID(issuesText(parsed.error));
    const { person, temporaryPassword } = await peopleAdminOf(deps).add(sessionOf(req).user.username, parsed.data);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ person: adminView(person), ...(temporaryPassword ? { temporaryPassword } : {}) });
  });

  router.patch('/admin/people/:username', requireRole('managePeople'), async (req, res) => {
    const parsed = personPatchSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw Errors.PERSON_INVALID(issuesText(parsed.error));
    const person = await peopleAdminOf(deps).update(sessionOf(req).user.username, usernameParam(req), parsed.data);
    res.json({ person: adminView(person) });
  });
  return router;
}
