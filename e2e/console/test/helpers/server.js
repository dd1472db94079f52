// The console suite's server: two teams with their leader and technicians (password PASSWORD),
// so that one team's pages can be tried by the other, on a real fieldsync started by
// e2e/lib/server.js.
import { startServer as start } from '../../../lib/server.js';

export { repoRoot } from '../../../lib/server.js';

export const PASSWORD = 'e2e console password 1';

/** The accounts every run creates: two teams, so that one team's pages can be tried by the other. */
export const TEAMS = {
  A: {
    name: '售后一组',
    leader: { username: 'a.leader', displayName: '赵组长' },
    techs: [
      { username: 'a.tech', displayName: '李师傅', grade: 'B', pay: '450000' },
      { username: 'a.tech2', displayName: '王师傅', grade: 'C', pay: '350000' },
    ],
  },
  B: {
    name: '售后二组',
    leader: { username: 'b.leader', displayName: '钱组长' },
    techs: [{ username: 'b.tech', displayName: '孙师傅', grade: 'B', pay: '420000' }],
  },
};

/** startServer creates TEAMS and starts the server: {url, stop, logs}. */
export function startServer() {
  return start('console', async (admin) => {
    for (const team of Object.values(TEAMS)) {
      await admin(['create-team', '--name', team.name]);
      await admin(['create-user', '--username', team.leader.username, '--role', 'leader', '--team', team.name,
        '--display-name', team.leader.displayName], `${PASSWORD}\n`);
      for (const tech of team.techs) {
        await admin(['create-user', '--username', tech.username, '--role', 'technician', '--team', team.name,
          '--display-name', tech.displayName, '--hire-date', '2024-03-01', '--grade', tech.grade,
          '--monthly-pay-fen', tech.pay, '--probation-passed'], `${PASSWORD}\n`);
      }
    }
  });
}
