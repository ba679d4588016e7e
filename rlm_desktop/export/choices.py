"""The Export dialog: which kind of file, and whether to add the full record of the analysis."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.run.blocks import muted_label
from rlm_desktop.run.format import one_line
from rlm_desktop.widgets.save_dialog import file_name


@dataclass(frozen=True)
class Kind:
    """A kind of file the answer can be saved as."""

    format: str        # the engine's name: docx, pdf, md
    label: str         # on the radio button
    hint: str          # beside it
    name_filter: str   # in the save dialog


KINDS = (
    Kind("docx", "Word document (.docx)", "to edit or send on", "Word document (*.docx)"),
    Kind("pdf", "PDF (.pdf)", "to print or file as it is", "PDF (*.pdf)"),
    Kind("md", "Markdown (.md)", "plain text, for other tools", "Markdown (*.md *.markdown)"),
)
BY_FORMAT = {kind.format: kind for kind in KINDS}
SUFFIXES = {".docx": "docx", ".pdf": "pdf", ".md": "md", ".markdown": "md"}
FULL_RECORD = "Include the full record of the analysis (every step)"
FULL_RECORD_HINT = ("Adds an appendix with each step the model took, the code it ran and what "
                    "it printed, and every question it handed to the helper model: for an "
                    "audit. It can run to many pages.")


def format_of(path: str) -> str | None:
    """The kind a file name's extension asks for (None when it names none we write)."""
    return SUFFIXES.get(Path(path).suffix.lower())


def suggested_name(question: str, fmt: str) -> str:
    """"Answer - Which clauses limit liability.docx": a file name any system accepts."""
    return file_name("Answer", question, fmt)


class ExportChoices(QDialog):
    """Asks, before the save dialog, which kind of file and whether to add the full record."""

    def __init__(self, question: str, fmt: str = "docx", full_record: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the answer")
        self.setAccessibleName("Export the answer")
        intro = QLabel(f"Save the answer to “{one_line(question, 140)}” with its sources, "
                       "to share or keep.")
        intro.setTextFormat(Qt.TextFormat.PlainText)     # the question is the person's text
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addWidget(QLabel("Kind of file:"))
        self.kinds = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for kind in KINDS:
            button = QRadioButton(f"{kind.label}: {kind.hint}")
            button.setAccessibleName(kind.label)
            self.kinds.addButton(button)
            self.buttons[kind.format] = button
            layout.addWidget(button)
        self.buttons.get(fmt, self.buttons["docx"]).setChecked(True)
        layout.addSpacing(4)
        self.full_record = QCheckBox(FULL_RECORD)
        self.full_record.setChecked(full_record)
        self.full_record.setToolTip(FULL_RECORD_HINT)
        layout.addWidget(self.full_record)
        hint = muted_label(FULL_RECORD_HINT, wrap=True)
        hint.setContentsMargins(24, 0, 0, 0)
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.choose = buttons.addButton("Choose where to save…",
                                        QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    @property
    def format(self) -> str:
        return next((fmt for fmt, button in self.buttons.items() if button.isChecked()),
                    "docx")
