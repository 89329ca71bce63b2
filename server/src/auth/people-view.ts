// What a signed-in user may see of a person from people.yaml: never the password hash, and the contact
// handles (DingTalk/WeCom/Feishu ids, mobile) only when the viewer is an admin. Every answer that lists
// people goes through personView, so a new field in people.yaml is not served until it is named here.
import type { AdminPerson, Person, Role } from '@citygrid/contract';

/** The contract's person (the admin view's fields), but for `disabled`; `contacts` for admins only. */
export type PersonView = Omit<AdminPerson, 'disabled'>;

/** Only admins see how to reach a person; everyone else gets who they are and what they answer for. */
export function mayReadContacts(viewerRole: Role): boolean {
  return viewerRole === 'admin';
}

export function personView(person: Person, viewerRole: Role): PersonView {
  const view: PersonView = {
    username: person.username,
    name: person.name,
    role: person.role,
    grids: [...(person.grids ?? [])],
    districts: [...(person.districts ?? [])],
  };
  if (person.department !== undefined) view.department = person.department;
  if (person.contacts && mayReadContacts(viewerRole)) view.contacts = { ...person.contacts };
  return view;
}
