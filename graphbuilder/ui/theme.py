"""Light and dark themes: the Qt palette for widgets plus the canvas colours.

Layer categories (``core.registry.CATEGORIES``) keep one hue in both themes so a
Conv is teal everywhere: the palette, the node header and the outline.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

CATEGORY_COLORS: dict[str, str] = {
    "Input/Output": "#64748B",
    "Dense": "#3B82F6",
    "Convolution": "#0D9488",
    "Pooling": "#65A30D",
    "Normalization": "#9333EA",
    "Activation": "#D97706",
    "Regularization": "#DB2777",
    "Recurrent": "#EA580C",
    "Attention": "#4F46E5",
    "Merge": "#0891B2",
    "Reshape": "#A16207",
    "Tensor": "#78716C",
    "Blocks": "#475569",
}


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, "#6B7280"))


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    text: str
    subtext: str
    canvas: str
    grid: str
    node: str
    node_border: str
    edge: str
    edge_label_bg: str
    selection: str
    error: str
    warning: str
    valid_target: str
    group_fill: str
    group_border: str
    highlight: str

    def c(self, field: str) -> QColor:
        return QColor(getattr(self, field))


LIGHT = Theme(
    name="light", window="#F3F4F6", base="#FFFFFF", text="#111827", subtext="#4B5563",
    canvas="#F8FAFC", grid="#E2E8F0", node="#FFFFFF", node_border="#CBD5E1",
    edge="#64748B", edge_label_bg="#FFFFFF", selection="#2563EB", error="#DC2626",
    warning="#D97706", valid_target="#16A34A", group_fill="#EEF2F7", group_border="#94A3B8",
    highlight="#2563EB",
)

DARK = Theme(
    name="dark", window="#1F2428", base="#16191D", text="#E5E7EB", subtext="#9CA3AF",
    canvas="#1A1D21", grid="#262B31", node="#262B31", node_border="#3A414A",
    edge="#8B95A3", edge_label_bg="#262B31", selection="#60A5FA", error="#F87171",
    warning="#FBBF24", valid_target="#4ADE80", group_fill="#20252B", group_border="#4B5563",
    highlight="#3B82F6",
)

THEMES = {"light": LIGHT, "dark": DARK}


def theme_named(name: str) -> Theme:
    return THEMES.get(name, LIGHT)


def ui_font(size: float = 9.5, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    if mono:
        font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Fusion style with a palette built from the theme (looks the same on every OS)."""
    # set by name, once: Qt then owns the style (a Python-made QStyle replaced later
    # would be freed twice). Once a style sheet is set, app.style() is Qt's style-sheet
    # proxy whose name() is empty, so remember the switch instead of asking the style:
    # calling setStyle again on every theme toggle re-polished every widget and crashed.
    fusion = app.property("graphbuilder_fusion") or app.style().name().lower() == "fusion"
    if not fusion and "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
    app.setProperty("graphbuilder_fusion", True)
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.window,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.subtext,
        QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: "#FFFFFF",
        QPalette.ColorRole.Link: theme.highlight,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.subtext))
    app.setPalette(pal)
    app.setFont(ui_font(9.5))
    app.setStyleSheet(
        f"QDockWidget::title {{ padding: 4px 6px; background: {theme.window};"
        f" font-weight: bold; }}"
        f"QToolTip {{ color: {theme.text}; background: {theme.base};"
        f" border: 1px solid {theme.node_border}; padding: 4px; }}"
    )
