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


class AssetForm(forms.Form):
    name = forms.CharField(max_length=128, validators=[name_validator])
    tags = forms.CharField(max_length=500, required=False, help_text="comma-separated")
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        if len(tags) > 32 or any(len(t) > 64 for t in tags):
            raise forms.ValidationError("at most 32 tags of up to 64 characters")
        return tags
