"""Regional-STS doctor findings in the switcher, each with a Fix button.

The checks themselves live in core (``core.awsconfig.doctor``); this panel only
runs them through the task runner (core does blocking file reads in an
executor) and shows what they found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.domain.model import Session
from core.storage.paths import AppPaths
from gui.errors import describe
from gui.format import plural
from gui.tasks import TaskRunner


def confirm_fix_all(parent: QWidget | None, profiles: list[str]) -> bool:
    """One confirmation for every fix, listing the profiles (modal; Cancel is the default)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Fix all", "", parent=parent)
    box.setText(f"Set sts_regional_endpoints = regional in {plural(len(profiles), 'profile')}?")
    box.setInformativeText("Only that line changes in each:\n" + "\n".join(f"• {p}" for p in profiles))
    fix = box.addButton("Fix all", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is fix


@dataclass(frozen=True)
class Finding:
    """One problem the doctor found, in words, with an optional fix."""

    title: str
    detail: str
    fix_label: str | None = None
    handle: object = None
    """Whatever core needs back to apply the fix."""
    explanation: str = ""
    """Why it matters (shown as a tooltip)."""


CheckFn = Callable[[], Coroutine[Any, Any, list[Finding]]]
FixFn = Callable[[Finding], Coroutine[Any, Any, None]]


class DoctorPanel(QGroupBox):
    """Lists findings; a Fix button per fixable one; re-checks after each fix."""

    def __init__(self, runner: TaskRunner, check: CheckFn, fix: FixFn, parent: QWidget | None = None) -> None:
        super().__init__("Regional STS doctor", parent)
        self._runner = runner
        self._check = check
        self._fix = fix
        self.findings: list[Finding] = []
        self._rows = QVBoxLayout()
        self.status = QLabel("Not checked yet.")
        self.status.setWordWrap(True)
        self.recheck_button = QPushButton("&Check again")
        self.recheck_button.clicked.connect(self.run_check)
        self.fix_all_button = QPushButton("&Fix all…")
        self.fix_all_button.clicked.connect(self.fix_all)
        self.fix_all_button.hide()
        self.confirm_fix_all: Callable[[QWidget | None, list[str]], bool] = confirm_fix_all
        rows = QWidget()
        rows_layout = QVBoxLayout(rows)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_layout.addLayout(self._rows)
        rows_layout.addStretch(1)
        # Findings scroll inside the panel: fifteen of them must not push the sessions table away.
        self.findings_area = QScrollArea()
        self.findings_area.setWidget(rows)
        self.findings_area.setWidgetResizable(True)
        self.findings_area.setFrameShape(QFrame.Shape.NoFrame)
        self.findings_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.fix_all_button)
        buttons.addWidget(self.recheck_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.findings_area, 1)
        layout.addLayout(buttons)
        self._checked_for: tuple[str, ...] | None = None

    def set_sessions(self, sessions: list[Session]) -> None:
        """Re-check when the set of sessions (or their regions) changed."""
        key = tuple(f"{s.id}:{s.region}:{s.profile_name}" for s in sessions)
        if key != self._checked_for:
            self._checked_for = key
            self.run_check()

    def run_check(self) -> None:
        """Run the doctor in the background and show its findings."""
        self.status.setText("Checking…")
        self.recheck_button.setEnabled(False)
        self._runner.start(
            self._check(),
            context="Doctor",
            on_success=self.show_findings,
            on_done=lambda: self.recheck_button.setEnabled(True),
            on_error=self._check_failed,
        )

    def _check_failed(self, exc: BaseException) -> bool:
        """A check that runs by itself says why it failed in the panel, never in a message box."""
        text = describe(exc)
        if text is None:
            return True
        self.status.setText(f"Could not check the AWS config: {text}")
        return True

    def show_findings(self, findings: list[Finding]) -> None:
        """Render ``findings`` (an empty list means all is well)."""
        self.findings = list(findings)
        while self._rows.count():
            item = self._rows.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        fixable = [f for f in findings if f.fix_label]
        self.fix_all_button.setVisible(len(fixable) > 1)
        if not findings:
            self.status.setText("No problems found: every profile sends STS calls to its regional endpoint.")
            return
        self.status.setText(f"{plural(len(findings), 'problem')} found:")
        for finding in findings:
            row = QWidget()
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            text = QLabel(f"<b>{finding.title}</b><br>{finding.detail}")
            text.setWordWrap(True)
            text.setToolTip(finding.explanation)
            row_layout.addWidget(text, 1)
            if finding.fix_label:
                button = QPushButton(finding.fix_label)
                button.clicked.connect(lambda _c=False, f=finding: self.apply_fix(f))
                row_layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self._rows.addWidget(row)

    def apply_fix(self, finding: Finding) -> None:
        """Apply one fix, then check again."""
        self._runner.start(self._fix(finding), context="Fix", on_success=lambda _r: self.run_check())

    def fix_all(self) -> bool:
        """Apply every fix after one confirmation that lists the profiles; returns whether it started."""
        fixable = [f for f in self.findings if f.fix_label]
        names = [str(f.handle) for f in fixable]
        if not fixable or not self.confirm_fix_all(self.window(), names):
            return False

        async def fix_each() -> None:
            for finding in fixable:
                await self._fix(finding)

        self._runner.start(fix_each(), context="Fix all", on_success=lambda _r: self.run_check())
        return True


def core_doctor(paths: AppPaths) -> tuple[CheckFn, FixFn]:
    """Check and fix functions backed by ``core.awsconfig.doctor``, run in a worker thread (file I/O)."""
    from core.awsconfig import doctor

    async def check() -> list[Finding]:
        found = await asyncio.get_running_loop().run_in_executor(None, doctor.scan, paths.aws_config_file)
        return [
            Finding(
                f"Profile {f.profile}: {f.reason}",
                f.detail,
                "Fix" if f.fixable else None,
                f.profile,
                f.explanation,
            )
            for f in found
        ]

    async def fix(finding: Finding) -> None:
        profile = str(finding.handle)
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: doctor.fix(paths.aws_config_file, [profile], lock_path=paths.locks_dir / "aws-config.lock")
        )

    return check, fix
