"""Pages that change things: render, upload, register an asset. Each parses
a form and calls the same domain function as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from assets.selectors import assets_listed
from assets.services import asset_register
from cache import services as cache_services
from cache.models import CacheItem
from cache.uploads import CacheUploadedFile
from l1site.errors import DomainError
from runs import services as run_services
from runs.models import Recipe, Run
from runs.selectors import recipes_listed

from ..forms import AssetForm, RenderForm
from .common import error_page, page


# The recipe the form opens with when none is named.
DEFAULT_RECIPE = "dog"


def _render_choices() -> dict:
    return {
        "recipes": recipes_listed(),
        "assets": assets_listed()[:200],
        "recent_media": CacheItem.objects.exclude(kind="").filter(decode_error="")[:24],
    }


def _start(request, form, **run):
    """Start the run the form describes: its page, or None with the reason on the form."""
    try:
        priority = Run.Priority[(form.cleaned_data.get("priority") or "normal").upper()]
        started, queued = run_services.run_submit(
            output_name=form.cleaned_data["output_name"], owner=request.user,
            priority=priority, **run)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    if not queued:
        messages.info(request, "This exact run exists already: here it is.")
    return redirect(f"/runs/{started.id}")


def _initial(recipe: Recipe, query) -> dict:
    """What a link (or the form's own recipe switch) fills in: inputs by name
    (in_<name>=) or in the order the recipe declares them (inputs=, repeated),
    params (param_<name>=) and the output name."""
    initial = {"recipe": recipe.name, "output_name": query.get("output_name", "")}
    positional = iter(query.getlist("inputs"))
    for name in recipe.definition["dag"]["inputs"]:
        initial[f"in_{name}"] = query.get(f"in_{name}") or next(positional, "")
    for name in recipe.definition.get("params", {}):
        if f"param_{name}" in query:
            initial[f"param_{name}"] = query[f"param_{name}"]
    return initial


@page(methods=("GET", "HEAD", "POST"))
@login_required
def render_form(request):
    """The render form: the chosen recipe's inputs by name and its params,
    each with its type, range and default. Switching the recipe reloads it
    (GET ?recipe=) with the inputs filled so far."""
    source = request.POST if request.method == "POST" else request.GET
    name = source.get("recipe") or DEFAULT_RECIPE
    recipe = (Recipe.objects.filter(name=name).first()
              or Recipe.objects.filter(name=DEFAULT_RECIPE).first()
              or recipes_listed().first())
    context = _render_choices()
    if recipe is None:  # a server with no recipes at all
        return render(request, "dashboard/render.html", {"form": None, **context})
    # A name that is no recipe: the form for the default, and say so.
    missing = "" if recipe.name == name else name
    status = 200
    if request.method == "POST":
        form = RenderForm(recipe, request.POST)
        if form.is_valid() and (page := _start(request, form, recipe=recipe.name,
                                               inputs=form.inputs(), params=form.params)):
            return page
        status = 400
    else:
        form = RenderForm(recipe, initial=_initial(recipe, request.GET))
        status = 404 if missing else 200
    return render(request, "dashboard/render.html",
                  {"form": form, "recipe": recipe, "missing": missing, **context}, status=status)


@page(methods=("GET", "HEAD", "POST"))
@login_required
def upload_page(request):
    """The upload page. With JavaScript the file goes to POST /cache (the API,
    with a progress bar); this POST is the plain-form fallback."""
    if request.method == "POST":
        files = request.FILES.getlist("file")
        if len(files) != 1 or not isinstance(files[0], CacheUploadedFile):
            return error_page(request, 400, "choose one file to upload", "file_required")
        item, created = cache_services.cache_store_upload(files[0].writer, name=files[0].name,
                                                          owner=request.user)
        messages.success(request, "Uploaded." if created else "Already in the cache.")
        return redirect(f"/cache/{item.content_hash}/detail")
    return render(request, "dashboard/upload.html")


@page(methods=("POST",))
@login_required
def register_asset(request, content_hash: str):
    item = cache_services.cache_item(content_hash)
    form = AssetForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        return error_page(request, 400, errors, "invalid")
    asset = asset_register(content_hash=item.content_hash, owner=request.user,
                           **form.cleaned_data)
    messages.success(request, f"Registered asset {asset.name}.")
    return redirect(f"/assets/{asset.name}")
