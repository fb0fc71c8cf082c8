from django import forms

from assets.models import name_validator
from runs.models import Recipe

MAX_INPUTS = 4


class RenderForm(forms.Form):
    recipe = forms.ChoiceField()
    output_name = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipe"].choices = [(r.name, r.name) for r in Recipe.objects.order_by("name")]
        for n in range(1, MAX_INPUTS + 1):
            self.fields[f"input_{n}"] = forms.CharField(
                max_length=128, required=False, label=f"Input {n}",
                help_text="an asset name or a content hash")

    def inputs(self) -> list[str]:
        """The filled input fields, in order (blank trailing fields are unused slots)."""
        return [value for n in range(1, MAX_INPUTS + 1)
                if (value := self.cleaned_data.get(f"input_{n}", "").strip())]


class GraphRenderForm(forms.Form):
    """A graph recipe's inputs by name (a list input takes several, comma-separated)
    and its params, with their defaults filled in."""

    recipe = forms.CharField(max_length=128, widget=forms.HiddenInput)
    output_name = forms.CharField(max_length=255, required=False)

    def __init__(self, recipe: Recipe, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipe = recipe
        lists = {n["config"]["name"] for n in recipe.definition["dag"]["nodes"]
                 if n["type"] == "SOURCE" and n["config"].get("input") and n["config"]["list"]}
        self.list_inputs = lists
        for name in recipe.definition["dag"]["inputs"]:
            self.fields[f"in_{name}"] = forms.CharField(
                max_length=128 * 64, label=name,
                help_text=("several asset names or content hashes, comma-separated"
                           if name in lists else "an asset name or a content hash"))
        for name, decl in recipe.definition["params"].items():
            self.fields[f"param_{name}"] = forms.CharField(
                max_length=128, required=False, initial=decl["default"], label=name,
                help_text=decl.get("help") or (
                    f"{decl['type']}" + (f", {decl['minimum']} to {decl['maximum']}"
                                         if decl.get("minimum") is not None else "")
                    + (f": {', '.join(map(str, decl['choices']))}" if decl.get("choices") else "")))

    def inputs(self) -> dict:
        out = {}
        for name in self.recipe.definition["dag"]["inputs"]:
            raw = self.cleaned_data[f"in_{name}"].strip()
            out[name] = ([r.strip() for r in raw.split(",") if r.strip()]
                         if name in self.list_inputs else raw)
        return out

    def params(self) -> dict:
        """Typed values for the filled params (the engine checks ranges)."""
        out = {}
        for name, decl in self.recipe.definition["params"].items():
            raw = str(self.cleaned_data.get(f"param_{name}") or "").strip()
            if raw == "":
                continue
            try:
                if decl["type"] == "int":
                    out[name] = int(raw)
                elif decl["type"] == "float":
                    out[name] = float(raw)
                elif decl["type"] == "bool":
                    out[name] = raw.lower() in ("1", "true", "yes", "on")
                else:
                    out[name] = raw
            except ValueError:
                kind = {"int": "a whole number", "float": "a number"}[decl["type"]]
                self.add_error(f"param_{name}", f"{name} must be {kind}")
        return out


class AssetForm(forms.Form):
    name = forms.CharField(max_length=128, validators=[name_validator])
    tags = forms.CharField(max_length=500, required=False, help_text="comma-separated")
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        if len(tags) > 32 or any(len(t) > 64 for t in tags):
            raise forms.ValidationError("at most 32 tags of up to 64 characters")
        return tags
