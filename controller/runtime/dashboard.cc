#include "controller/runtime/dashboard.h"

namespace tso::runtime {

const char* dashboardPage() {
  return R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>throughput-operator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.3rem} .svc{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
.meta{font-size:.85rem;color:#555} svg{width:100%;height:220px;background:#fff}
.legend span{display:inline-block;margin-right:1rem;font-size:.8rem}
.sw{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
.bad{color:#b00020;font-weight:600}
</style></head><body>
<h1>throughput-operator: predicted vs actual</h1>
<div id="empty" class="meta">Loading /api/services ...</div>
<div id="services"></div>
<script>
function fmtTime(t){const d=new Date(t*1000);return d.toISOString().substr(11,5)}
function chart(svg,times,series,unit){
  const W=800,H=220,L=55,R=10,T=10,B=28;svg.setAttribute('viewBox',`0 0 ${W} ${H}`);
  let lo=Infinity,hi=-Infinity;
  for(const s of series)for(const v of s.values)if(v!==null&&isFinite(v)){lo=Math.min(lo,v);hi=Math.max(hi,v)}
  if(!isFinite(lo)){svg.innerHTML='<text x="60" y="110">no data yet</text>';return 0}
  lo=Math.min(0,lo);if(hi<=lo)hi=lo+1;
  const t0=times[0],t1=times[times.length-1]||t0+1;
  const x=t=>L+(W-L-R)*(t-t0)/Math.max(1,t1-t0),y=v=>T+(H-T-B)*(1-(v-lo)/(hi-lo));
  let g='';
  for(let i=0;i<=4;i++){const v=lo+(hi-lo)*i/4;g+=`<line x1="${L}" x2="${W-R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L-6}" y="${y(v)+4}" font-size="11" text-anchor="end">${v.toPrecision(3)}</text>`}
  for(let i=0;i<=4;i++){const t=t0+(t1-t0)*i/4;g+=`<text x="${x(t)}" y="${H-8}" font-size="11" text-anchor="middle">${fmtTime(t)}</text>`}
  g+=`<text x="12" y="${T+(H-B)/2}" font-size="11" transform="rotate(-90 12 ${T+(H-B)/2})" text-anchor="middle">${unit}</text>`;
  let points=0;
  for(const s of series){let d='',pen=false;
    s.values.forEach((v,i)=>{if(v===null||!isFinite(v)){pen=false;return}d+=(pen?'L':'M')+x(times[i]).toFixed(1)+','+y(v).toFixed(1);pen=true;points++});
    g+=`<path class="series" data-name="${s.name}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" ${s.dash?'stroke-dasharray="5,4"':''}/>`}
  svg.innerHTML=g;return points}
function legend(series){return '<div class="legend">'+series.map(s=>`<span><i class="sw" style="background:${s.color}"></i>${s.name}</span>`).join('')+'</div>'}
async function refresh(){
  let data;try{data=await (await fetch('api/services')).json()}catch(e){document.getElementById('empty').textContent='cannot reach the operator: '+e;return}
  document.getElementById('empty').textContent=data.length?'':'No ThroughputServices yet: kubectl apply one.';
  const root=document.getElementById('services');root.innerHTML='';
  for(const s of data){
    const div=document.createElement('div');div.className='svc';div.dataset.name=s.namespace+'/'+s.name;
    const r=s.replicas||{};const acc=s.accuracy||{};
    div.innerHTML=`<b>${s.namespace}/${s.name}</b> <span class="meta">mode ${s.mode}, model ${s.model||'-'}, lead ${s.leadTimeSeconds}s,
      replicas ${r.current} now / ${r.final} desired (reactive ${r.reactive}, predicted ${r.predicted}, scheduled ${r.scheduled}; winner ${r.winner}),
      WAPE ${(100*(acc.wape||0)).toFixed(1)}%, coverage ${(100*(acc.coverage||0)).toFixed(0)}% over ${acc.scored||0} points</span>
      ${s.fallback?'<div class="bad">fallback: demand data unavailable, holding replicas</div>':''}`;
    const h=s.history||{times:[]};
    const dem=[{name:'actual demand',values:h.actual||[],color:'#1f77b4'},{name:'forecast (quantile, made lead time ahead)',values:h.predicted||[],color:'#ff7f0e',dash:true}];
    const rep=[{name:'desired replicas',values:h.desired||[],color:'#2ca02c'}];
    const s1=document.createElementNS('http://www.w3.org/2000/svg','svg');s1.classList.add('demand');
    const s2=document.createElementNS('http://www.w3.org/2000/svg','svg');s2.classList.add('replicas');
    div.insertAdjacentHTML('beforeend',legend(dem));div.appendChild(s1);div.insertAdjacentHTML('beforeend',legend(rep));div.appendChild(s2);
    root.appendChild(div);
    const n1=chart(s1,h.times,dem,'demand');const n2=chart(s2,h.times,rep,'replicas');div.dataset.points=n1+n2;
  }
  document.body.dataset.loaded='true';
}
refresh();setInterval(refresh,5000);
</script></body></html>
)HTML";
}

}  // namespace tso::runtime
