from django import forms

from assets.models import name_validator
from runs.models import Recipe

MAX_INPUT_CHARS = 128 * 64  # a list input: up to 64 names or hashes


def _number(value) -> str:
    """A bound or default as people write it: 10 rather than 10.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def param_spec(decl: dict) -> str:
    """A param's type, range and default in one phrase: "float, 0.3 to 10, default 1.4"."""
    parts = [decl["type"]]
    low, high = decl.get("minimum"), decl.get("maximum")
    if low is not None and high is not None:
        parts.append(f"{_number(low)} to {_number(high)}")
    elif low is not None:
        parts.append(f"at least {_number(low)}")
    elif high is not None:
        parts.append(f"at most {_number(high)}")
    if decl.get("choices"):
        parts.append("one of " + ", ".join(map(str, decl["choices"])))
    default = decl.get("default")
    if isinstance(default, bool):
        default = "yes" if default else "no"
    parts.append(f"default {_number(default)}")
    return ", ".join(parts)


def _param_field(decl: dict) -> forms.Field:
    """A blank field shows the default and keeps it: a run records only the
    params someone set, as a POST /runs without them would."""
    kind, default = decl["type"], decl.get("default")
    if kind in ("int", "float"):
        attrs = {"placeholder": _number(default), "step": "1" if kind == "int" else "any"}
        if decl.get("minimum") is not None:
            attrs["min"] = _number(decl["minimum"])
        if decl.get("maximum") is not None:
            attrs["max"] = _number(decl["maximum"])
        field = forms.CharField(required=False, widget=forms.NumberInput(attrs=attrs))
    elif kind == "bool":
        field = forms.ChoiceField(required=False, choices=[
            ("", f"default ({'yes' if default else 'no'})"), ("true", "yes"), ("false", "no")])
    else:  # choice
        field = forms.ChoiceField(required=False, choices=[("", f"default ({default})")] + [
            (str(c), str(c)) for c in decl.get("choices") or []])
    field.help_text = decl.get("help") or ""
    field.spec = param_spec(decl)
    return field


class RenderForm(forms.Form):
    """A recipe's inputs by name (a list input takes several, comma-separated)
    and its params, each shown with its type, range and default."""

    recipe = forms.CharField(max_length=128)
    output_name = forms.CharField(max_length=255, required=False)
    # Staff only for high (runs.services.refuse_priority says so on the form).
    priority = forms.ChoiceField(choices=[("normal", "normal"), ("low", "low"),
                                          ("high", "high (staff)")], required=False)

    def __init__(self, recipe: Recipe, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipe = recipe
        document = recipe.definition
        sources = {n["config"]["name"]: n["config"] for n in document["dag"]["nodes"]
                   if n["type"] == "SOURCE" and n["config"].get("input")}
        self.list_inputs = {name for name, config in sources.items() if config.get("list")}
        for name in document["dag"]["inputs"]:
            field = forms.CharField(
                max_length=MAX_INPUT_CHARS, label=name,
                help_text=("several asset names or content hashes, comma-separated"
                           if name in self.list_inputs else "an asset name or a content hash"))
            field.takes = _TAKES.get(sources.get(name, {}).get("kind"), "")
            self.fields[f"in_{name}"] = field
        for name, decl in sorted(document.get("params", {}).items()):
            self.fields[f"param_{name}"] = _param_field(decl)
            self.fields[f"param_{name}"].label = name

    def input_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("in_")]

    def param_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("param_")]

    def clean_recipe(self) -> str:
        if self.cleaned_data["recipe"] != self.recipe.name:
            raise forms.ValidationError(f"no recipe named {self.cleaned_data['recipe']!r}")
        return self.cleaned_data["recipe"]

    def clean(self) -> dict:
        cleaned = super().clean()
        self.params = {}
        for name, decl in self.recipe.definition.get("params", {}).items():
            raw = str(cleaned.get(f"param_{name}") or "").strip()
            if raw:
                try:
                    self.params[name] = _typed(name, decl, raw)
                except forms.ValidationError as exc:
                    self.add_error(f"param_{name}", exc)
        return cleaned

    def inputs(self) -> dict:
        """The inputs by name; a list input as the list of its refs."""
        out = {}
        for name in self.recipe.definition["dag"]["inputs"]:
            raw = self.cleaned_data[f"in_{name}"].strip()
            out[name] = ([r.strip() for r in raw.split(",") if r.strip()]
                         if name in self.list_inputs else raw)
        return out


# What an input SOURCE's kind lets it take, as the form says it.
_TAKES = {"visual": "a still, an animation or a video", "audio": "sound, or a video's sound",
          "image": "a still or an animation", "video": "a video", "any": "any file"}


def _typed(name: str, decl: dict, raw: str):
    """The value of a param as typed into the form, checked against its
    declaration (the engine checks again at submission)."""
    kind = decl["type"]
    if kind == "bool":
        return raw == "true"
    if kind == "choice":
        for choice in decl.get("choices") or []:
            if str(choice) == raw:
                return choice
        raise forms.ValidationError(f"{name} must be one of "
                                    + ", ".join(map(str, decl.get("choices") or [])))
    try:
        value = int(raw) if kind == "int" else float(raw)
    except ValueError:
        raise forms.ValidationError(
            f"{name} must be {'a whole number' if kind == 'int' else 'a number'}") from None
    low, high = decl.get("minimum"), decl.get("maximum")
    if low is not None and high is not None and not low <= value <= high:
        raise forms.ValidationError(f"{name} must be between {_number(low)} and {_number(high)}")
    if low is not None and value < low:
        raise forms.ValidationError(f"{name} must be at least {_number(low)}")
    if high is not None and value > high:
        raise forms.ValidationError(f"{name} must be at most {_number(high)}")
    return value


class AssetForm(forms.Form):
    name = forms.CharField(max_length=128, validators=[name_validator])
    tags = forms.CharField(max_length=500, required=False, help_text="comma-separated")
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        if len(tags) > 32 or any(len(t) > 64 for t in tags):
            raise forms.ValidationError("at most 32 tags of up to 64 characters")
        return tags
