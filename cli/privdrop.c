/*
 * cli/privdrop.c - give up privileges once the privileged socket is open
 * (STYLE.md rule 13, like iputils ping).
 *
 * Running setuid or setgid: go back to the real user and group, for
 * good (saved ids too). Otherwise (root, or file capabilities such as
 * cap_net_raw+ep): clear every capability set of the process with
 * capset(2), so nothing privileged is left for the rest of the run. No
 * libcap: one syscall does it.
 */
#include "cli.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

int
cli_drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };
	gid_t gid = getgid();
	uid_t uid = getuid();

	if (getegid() != gid && setresgid(gid, gid, gid) < 0)
		return -errno;
	if (geteuid() != uid) {
		if (setresuid(uid, uid, uid) < 0)
			return -errno;
		return 0; /* leaving euid 0 already cleared the capabilities */
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}
