"""Pages that change things: render, upload, register an asset. Each parses
a form and calls the same domain function as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render

from assets.models import Asset
from assets.services import asset_register
from cache import services as cache_services
from cache.models import CacheItem
from cache.uploads import CacheUploadedFile
from l1site.exceptions import DomainError
from runs import services as run_services
from runs.models import Recipe

from ..forms import MAX_INPUTS, AssetForm, GraphRenderForm, RenderForm
from .common import error_page, page


def _render_choices() -> dict:
    return {
        "recipes": Recipe.objects.order_by("name"),
        "assets": Asset.objects.select_related("content").order_by("name")[:200],
        "recent_media": CacheItem.objects.filter(
            Q(media_type__startswith="image/") | Q(media_type__startswith="video/")
            | Q(media_type__startswith="audio/"), decode_error="")[:24],
    }


def _graph_recipe(request) -> Recipe | None:
    name = request.POST.get("recipe") or request.GET.get("recipe") or ""
    return Recipe.objects.filter(name=name, kind=Recipe.Kind.GRAPH).first()


def _start(request, form, **run):
    """Start the run the form describes: its page, or None with the reason on the form."""
    try:
        started, queued = run_services.run_start(
            output_name=form.cleaned_data["output_name"], owner=request.user, **run)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    if not queued:
        messages.info(request, "This exact run exists already: here it is.")
    return redirect(f"/runs/{started.id}")


def _render_graph(request, recipe: Recipe):
    """The render form for a graph recipe: named inputs and params."""
    if request.method == "POST":
        form = GraphRenderForm(recipe, request.POST)
        if form.is_valid():
            params = form.params()
            # params() adds an error for a value of the wrong type
            if form.is_valid() and (page := _start(request, form, recipe=recipe.name,
                                                   inputs=form.inputs(), params=params)):
                return page
        status = 400
    else:
        form, status = GraphRenderForm(recipe, initial={"recipe": recipe.name}), 200
    return render(request, "dashboard/render.html",
                  {"form": form, "graph": recipe, **_render_choices()}, status=status)


@page(methods=("GET", "HEAD", "POST"))
@login_required
def render_form(request):
    if (graph := _graph_recipe(request)) is not None:
        return _render_graph(request, graph)
    if request.method == "POST":
        form = RenderForm(request.POST)
        if form.is_valid() and (page := _start(request, form, recipe=form.cleaned_data["recipe"],
                                               inputs=form.inputs())):
            return page
        status = 400
    else:
        initial = {"recipe": request.GET.get("recipe", "dog")}
        for n, ref in enumerate(request.GET.getlist("inputs")[:MAX_INPUTS], start=1):
            initial[f"input_{n}"] = ref
        form, status = RenderForm(initial=initial), 200
    return render(request, "dashboard/render.html", {"form": form, **_render_choices()},
                  status=status)


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
