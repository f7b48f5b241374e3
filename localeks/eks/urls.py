"""URL map of the local EKS service: moto's paths plus the update and add-on operations."""

from moto.eks import urls as moto_urls

from .responses import LocalEKSResponse

url_bases = moto_urls.url_bases

url_paths = {
    **{path: LocalEKSResponse.dispatch for path in moto_urls.url_paths},
    "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$": LocalEKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/updates$": LocalEKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$": LocalEKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/addons$": LocalEKSResponse.dispatch,
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$": LocalEKSResponse.dispatch,
}
