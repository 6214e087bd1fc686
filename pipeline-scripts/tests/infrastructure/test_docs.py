"""Module READMEs carry input/output tables generated from the HCL, and stay in sync."""

from __future__ import annotations

from pathlib import Path

from carcierge_pipeline import docs


def test_every_module_readme_is_in_sync(project):
    stale = docs.sync(project.modules, check=True)
    assert stale == [], f"run `make docs`: {stale}"


def test_tables_show_types_defaults_and_required(tmp_path: Path):
    (tmp_path / "variables.tf").write_text(
        'variable "size" {\n  description = "How many | nodes."\n  type = number\n}\n'
        'variable "mode" {\n  description = "NAT mode."\n  type = string\n'
        '  default = "single"\n}\n'
    )
    (tmp_path / "outputs.tf").write_text(
        'output "id" {\n  description = "The id."\n  value = "x"\n}\n'
    )
    tables = docs.render_tables(tmp_path)
    assert '| `mode` | NAT mode. | `string` | `"single"` | no |' in tables
    assert "| `size` | How many \\| nodes. | `number` | n/a | yes |" in tables
    assert "| `id` | The id. |" in tables


def test_generated_section_replaces_only_itself():
    readme = f"# vpc\n\nHand-written.\n\n{docs.BEGIN}\nold\n{docs.END}\n\nFooter.\n"
    updated = docs.updated_readme(readme, "new")
    assert updated == f"# vpc\n\nHand-written.\n\n{docs.BEGIN}\nnew\n{docs.END}\n\nFooter.\n"


def test_heredoc_descriptions_become_one_line(tmp_path: Path):
    (tmp_path / "variables.tf").write_text(
        'variable "services" {\n  description = <<-EOT\n    First line,\n    second line.\n'
        "  EOT\n  type = map(string)\n}\n"
    )
    assert "| `services` | First line, second line. | `map(string)` | n/a | yes |" in (
        docs.render_tables(tmp_path)
    )
