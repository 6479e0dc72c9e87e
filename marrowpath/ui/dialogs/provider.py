"""One provider of the directory, to add or change: the fields of the `provider`
commands and of the CSV (`cli.md`). Used from the case editor ("Add to directory") and
from Administration's Providers tab.

The dialog only collects and checks the text (`domain.providers.provider_from`, the
same rule as the command line); the caller saves it through the service, on the task
runner, and reports a refusal in words.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from marrowpath.domain.errors import Refused
from marrowpath.domain.providers import TEXT_MAX, DirectoryProvider, provider_from

FIELDS = (
    ("name", "Name as printed", "e.g. Priya Raman, MD"),
    ("family_name", "Family name", ""),
    ("given_names", "Given names", ""),
    ("id", "Provider ID", "e.g. NPI"),
    ("organization", "Organization", ""),
    ("phone", "Telephone", ""),
)


class ProviderDialog(QDialog):
    """Enter a provider's fields; OK is refused in words while the entry breaks a rule."""

    def __init__(
        self,
        provider: DirectoryProvider | None = None,
        *,
        title: str = "Add to the provider directory",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.provider: DirectoryProvider | None = None
        self._active = provider.active if provider is not None else True
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        for key, label, placeholder in FIELDS:
            edit = QLineEdit()
            edit.setAccessibleName(label)
            edit.setPlaceholderText(placeholder)
            edit.setMaxLength(TEXT_MAX + 1)  # one over: the rule then says the limit
            value = getattr(provider, key) if provider is not None else None
            edit.setText(value or "")
            self.edits[key] = edit
            form.addRow(label, edit)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Provider problem")
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        form.addRow(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(460, self.sizeHint().height())

    def accept(self) -> None:
        values = {key: edit.text() for key, edit in self.edits.items()}
        try:
            provider = provider_from(values, where="Provider")
        except Refused as refusal:
            self.message.setText(str(refusal))
            self.message.show()
            return
        self.provider = DirectoryProvider(
            name=provider.name,
            family_name=provider.family_name,
            given_names=provider.given_names,
            id=provider.id,
            organization=provider.organization,
            phone=provider.phone,
            active=self._active,
        )
        super().accept()
