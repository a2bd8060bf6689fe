// Entry point: registers the Sync plan view with Argo CD's extension API
// (window.extensionsAPI, Argo CD 2.7+): as a view of the Application page,
// and as a tab of an Application resource (an app of apps' children).
import {shouldDisplay} from './model';
import {SyncPlan} from './view';

declare const React: any;
declare const window: any;

function ResourceTab(props: {application: any; resource: any; tree: any}) {
  // The tab of a child Application shows the child's own plan; the tree
  // passed is the parent's, so the view reads the child's status only.
  return <SyncPlan application={props.resource && props.resource.status ? props.resource : props.application} tree={{nodes: []}} />;
}

((w: any) => {
  const api = w.extensionsAPI;
  if (!api) {
    return;
  }
  // The 4th argument: Argo CD 3.3+ shows the view's button only for an
  // Application that has something to show (model.ts); 2.14 takes three
  // arguments and ignores it, showing the view for every Application.
  api.registerAppViewExtension(SyncPlan, 'Sync plan', 'fa-list-ol', shouldDisplay);
  if (api.registerResourceExtension) {
    api.registerResourceExtension(ResourceTab, 'argoproj.io', 'Application', 'Sync plan');
  }
})(window);
