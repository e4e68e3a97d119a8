"""Patches of EFS file system policies, each naming the provider call or AWS document it serves."""

from __future__ import annotations

import json
from typing import Any


def patch_efs_policies() -> None:
    """aws_efs_backup_policy: PutBackupPolicy is missing, and DescribeBackupPolicy answers
    PolicyNotFound for a policy set to DISABLED (AWS answers its status).
    aws_efs_file_system_policy: DeleteFileSystemPolicy is missing (destroy hangs)."""
    from moto.efs.responses import EFSResponse

    def file_system(self: EFSResponse) -> Any:
        _, (found,) = self.efs_backend.describe_file_systems(file_system_id=self._get_param("FileSystemId"))
        return found

    def answer(status: str) -> tuple[str, dict[str, Any]]:
        return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}

    def put_backup_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
        status = (self._get_param("BackupPolicy") or {}).get("Status", "DISABLED")
        target = file_system(self)
        target._backup = status == "ENABLED"
        target._backup_policy_status = status
        return answer(status)

    describe = EFSResponse.describe_backup_policy

    def describe_backup_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
        status = getattr(file_system(self), "_backup_policy_status", None)
        return answer(status) if status else describe(self)

    def delete_file_system_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
        file_system(self).file_system_policy = None
        return "{}", {"status": 200, "Content-Type": "application/json"}

    EFSResponse.put_backup_policy = put_backup_policy  # type: ignore[attr-defined]
    EFSResponse.delete_file_system_policy = delete_file_system_policy  # type: ignore[attr-defined]
    EFSResponse.describe_backup_policy = describe_backup_policy  # type: ignore[method-assign]
