// The RxDB suite's server: one team with one leader and one technician (password PASSWORD), on a
// real fieldsync started by e2e/lib/server.js.
import { startServer as start } from '../../../lib/server.js';

export const PASSWORD = 'e2e rxdb password 1';

/** startServer resolves with {url, users, stop, logs}: users maps a role to its username. */
export function startServer() {
  return start('rxdb', async (admin) => {
    await admin(['create-team', '--name', 'e2e-team']);
    const users = { leader: 'e2e.leader', technician: 'e2e.tech' };
    for (const [role, username] of Object.entries(users)) {
      await admin(['create-user', '--username', username, '--role', role, '--team', 'e2e-team'], PASSWORD + '\n');
    }
    return { users };
  });
}
